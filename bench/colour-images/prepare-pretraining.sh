#!/usr/bin/env bash
# Builds the pretraining corpus for the side-by-side's frozen and fine-tuned rows: colour pictures of objects that
# are not Wesnoth sprites, so weights trained on them know images without having seen the test's domain. Sources
# (Debian packages, drawn by their artists, public domain / GPL-2+):
#   openclipart-png          the Open Clip Art Library, about 8,300 PNG drawings in topic folders
#   tuxpaint-stamps-default  Tux Paint's stamps, about 800 PNG pictures in topic folders
# A class is a topic folder two levels deep (openclipart's animals/birds, food/fruit, ...; tuxpaint's animals/mammals,
# ...) with at least MIN images, else its first-level topic when that gathers MIN; at most CAP images per class (the
# two largest folders, computer icons and stars, would otherwise be a third of the corpus). 'unsorted' is left out.
# Each picture is scaled to fit SIZE×SIZE keeping its proportions, centred, and kept with its alpha channel (the
# training composes it over a background of its own).
#
#   bench/colour-images/prepare-pretraining.sh [output-folder]     (default: out/pretraining)
#
# Writes OUT/corpus.npz (images: N×SIZE×SIZE×4 uint8 RGBA, labels: N int64, classes: the class names) and
# OUT/counts.txt. Deterministic. Installs nothing: run
#   sudo apt-get install openclipart-png tuxpaint-stamps-default python3-numpy python3-pil
# first. bench/colour-images/pretrain.py trains torchvision's GoogLeNet on the corpus.
set -euo pipefail
out="${1:-out/pretraining}"
roots=(/usr/share/openclipart/png /usr/share/tuxpaint/stamps)
for root in "${roots[@]}"; do
  [ -d "$root" ] || { echo "prepare-pretraining.sh: $root not found: sudo apt-get install openclipart-png tuxpaint-stamps-default" >&2; exit 2; }
done
mkdir -p "$out"

/usr/bin/python3 - "$out" "${roots[@]}" <<'PY'
import os, sys
import numpy as np
from PIL import Image

out, roots = sys.argv[1], sys.argv[2:]
SIZE, MIN, CAP = 112, 20, 250
Image.MAX_IMAGE_PIXELS = 64_000_000

files = []   # (source, topic, subtopic or None, path)
for root in roots:
    source = "openclipart" if "openclipart" in root else "tuxpaint"
    for folder, _, names in sorted(os.walk(root)):
        parts = os.path.relpath(folder, root).split(os.sep)
        if parts == ["."] or parts[0] == "unsorted":
            continue
        for name in sorted(names):
            if name.lower().endswith(".png") and "_mirror" not in name:
                files.append((source, parts[0], parts[1] if len(parts) > 1 else None, os.path.join(folder, name)))

def count(key):
    return sum(1 for f in files if key(f))

fine = {}
for source, topic, sub, path in files:
    if sub is not None:
        fine[(source, topic, sub)] = fine.get((source, topic, sub), 0) + 1
by_class = {}
for source, topic, sub, path in files:
    if sub is not None and fine[(source, topic, sub)] >= MIN:
        name = f"{source}/{topic}/{sub}"
    else:
        name = f"{source}/{topic}"
    by_class.setdefault(name, []).append(path)
by_class = {k: v for k, v in by_class.items() if len(v) >= MIN}
classes = sorted(by_class)

images, labels, names, lines, skipped = [], [], [], [], 0
for name in classes:
    paths = by_class[name]
    step = max(1.0, len(paths) / CAP)
    chosen = [paths[int(i * step)] for i in range(min(CAP, len(paths)))]
    read = []
    for path in chosen:
        try:
            with Image.open(path) as picture:
                picture = picture.convert("RGBA")
                picture.thumbnail((SIZE, SIZE), Image.LANCZOS)
                canvas = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
                canvas.paste(picture, ((SIZE - picture.width) // 2, (SIZE - picture.height) // 2))
                pixels = np.asarray(canvas, dtype=np.uint8)
        except (OSError, ValueError, Image.DecompressionBombError):   # a file Pillow cannot read: left out, counted
            skipped += 1
            continue
        if pixels[..., 3].max() == 0:
            skipped += 1
            continue
        read.append(pixels)
    if len(read) < MIN:   # a folder of pictures Pillow cannot read or that are wholly transparent (gradients)
        skipped += len(read)
        continue
    images.extend(read)
    labels.extend([len(names)] * len(read))
    names.append(name)
    lines.append(f"{name}\t{len(read)}")
classes = names

np.savez_compressed(os.path.join(out, "corpus.npz"), images=np.stack(images), labels=np.array(labels, dtype=np.int64),
                    classes=np.array(classes))
with open(os.path.join(out, "counts.txt"), "w") as f:
    f.write(f"{len(images)} images, {len(classes)} classes, {SIZE}x{SIZE} RGBA, at most {CAP} per class, {skipped} files left out\n")
    f.write("\n".join(lines) + "\n")
print(f"{len(images)} images in {len(classes)} classes ({skipped} files left out) -> {out}/corpus.npz")
PY
