#!/usr/bin/env bash
# Builds train/ and test/ image folders (one sub-folder per class, Model Builder's layout) of real colour images that
# no one in this project drew: the unit sprites of the game Battle for Wesnoth, from Debian's wesnoth-1.16-data
# package (72x72 RGBA PNG, drawn by the game's artists, GPL-2+). Class = the faction folder of the game
# (data/core/images/units/<faction>), object = one unit type (a sub-folder of the faction folder, or the file-name
# word before the first '-', with a '+female' variant counted as the same unit). Every frame of a unit's
# animations is another image of the same object, so the test split is BY OBJECT: no unit has images on both sides.
#
#   bench/colour-images/prepare.sh [output-folder] [seed]     (default: out/colour-images, seed 1)
#
# Writes OUT/train/<class>/<unit>/<file>.png and OUT/test/<class>/<unit>/<file>.png (copies; the train folder's unit
# sub-folders let `googlenet train --group-by-folder` keep its own validation split by object too) and OUT/counts.txt.
# Deterministic: the same package version and seed give the same folders. Installs nothing: run
#   sudo apt-get install wesnoth-1.16-data
# first (about 150 MB). The images are not part of this repository.
set -euo pipefail
out="${1:-out/colour-images}"
seed="${2:-1}"
package=wesnoth-1.16-data
units=/usr/share/games/wesnoth/1.16/data/core/images/units
if [ ! -d "$units" ]; then
  echo "prepare.sh: $units not found: install the images with: sudo apt-get install $package" >&2
  exit 2
fi
version=$(dpkg-query -W -f '${Version}' "$package" 2>/dev/null || echo unknown)
rm -rf "$out/train" "$out/test"
mkdir -p "$out"

python3 - "$units" "$out" "$seed" "$package" "$version" <<'PY'
import os, random, shutil, sys

units, out, seed, package, version = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
# Eight factions with at least 9 unit types and 239 frames each; the other folders hold too few units (ogres: 2,
# woses: 2, saurians: 6) to split by unit, or mix several kinds (transport).
classes = ["drakes", "dwarves", "elves-wood", "human-loyalists", "human-outlaws", "monsters", "orcs", "undead-skeletal"]
frames_per_unit = 24   # a few units have over 100 frames; more of one unit adds little and would outweigh the rest
test_fraction = 0.2

def unit_of(relative):
    parts = relative.split("/")
    name = parts[0] if len(parts) > 1 else parts[0][:-len(".png")].split("-")[0]
    return name.split("+")[0]

rng = random.Random(seed)
lines = [f"package {package} {version}, seed {seed}, at most {frames_per_unit} frames per unit, test fraction {test_fraction} by unit"]
totals = {"train": [0, 0], "test": [0, 0]}
for label in classes:
    by_unit = {}
    root = os.path.join(units, label)
    for folder, _, files in sorted(os.walk(root)):
        for name in sorted(files):
            if name.endswith(".png"):
                relative = os.path.relpath(os.path.join(folder, name), root)
                by_unit.setdefault(unit_of(relative), []).append(relative)
    kept = {}
    for unit in sorted(by_unit):
        files = sorted(by_unit[unit])
        step = max(1, len(files) / frames_per_unit)
        kept[unit] = [files[int(i * step)] for i in range(min(frames_per_unit, len(files)))]
    order = sorted(kept)
    rng.shuffle(order)
    target = round(sum(len(f) for f in kept.values()) * test_fraction)
    held, sides = 0, {"train": [], "test": []}
    for unit in order:
        # A unit goes to test when that brings the class's test count closer to its share.
        if abs(held + len(kept[unit]) - target) < abs(held - target):
            sides["test"].append(unit)
            held += len(kept[unit])
        else:
            sides["train"].append(unit)
    for side, chosen in sides.items():
        for unit in chosen:
            for relative in kept[unit]:
                target_path = os.path.join(out, side, label, unit, relative.replace("/", "_"))
                os.makedirs(os.path.dirname(target_path), exist_ok=True)
                shutil.copyfile(os.path.join(root, relative), target_path)
        totals[side][0] += sum(len(kept[u]) for u in chosen)
        totals[side][1] += len(chosen)
    lines.append(f"{label}: train {sum(len(kept[u]) for u in sides['train'])} images of {len(sides['train'])} units, "
                 f"test {held} images of {len(sides['test'])} units ({', '.join(sorted(sides['test']))})")
lines.append(f"total: train {totals['train'][0]} images of {totals['train'][1]} units, test {totals['test'][0]} images of {totals['test'][1]} units, {len(classes)} classes")
with open(os.path.join(out, "counts.txt"), "w") as f:
    f.write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
