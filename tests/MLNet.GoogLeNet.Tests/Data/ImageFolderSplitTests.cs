namespace MLNet.GoogLeNet.Tests.Data;

/// <summary>
/// The test split keeps the files of one object together when told which they are, still holds out about the asked
/// fraction of every class, is the same for the same seed, and without a grouping is the split by file it always was.
/// </summary>
public sealed class ImageFolderSplitTests
{
    private const string Root = "/data/units";

    /// <summary>
    /// Three classes with objects of uneven size (1 to 12 frames each), laid out root/class/object-frame-N.png, with the
    /// object known for every file.
    /// </summary>
    private static (List<ImageFile> Images, Dictionary<string, string> ObjectOf) Folder(int seed = 7)
    {
        var random = new Random(seed);
        var images = new List<ImageFile>();
        var objectOf = new Dictionary<string, string>();
        foreach (string label in new[] { "drakes", "elves", "orcs" })
        {
            for (int unit = 0; unit < 30; unit++)
            {
                int frames = random.Next(1, 13);
                for (int frame = 1; frame <= frames; frame++)
                {
                    string path = $"{Root}/{label}/unit{unit:D2}-attack-{frame}.png";
                    images.Add(new ImageFile { ImagePath = path, Label = label });
                    objectOf[path] = $"{label}/unit{unit:D2}";
                }
            }
        }
        return (images, objectOf);
    }

    [Fact]
    public void No_object_falls_on_both_sides_and_every_class_keeps_about_the_fraction()
    {
        var (images, objectOf) = Folder();
        var (train, test) = ImageFolderSplit.Split(images, 0.25, seed: 3, ImageGrouping.ByFileName(@"^(unit\d+)-"));

        Assert.Equal(images.Count, train.Count + test.Count);
        Assert.Equal(images.Select(i => i.ImagePath).Order(), train.Concat(test).Select(i => i.ImagePath).Order());
        var trainObjects = train.Select(i => objectOf[i.ImagePath]).ToHashSet();
        var testObjects = test.Select(i => objectOf[i.ImagePath]).ToHashSet();
        Assert.Empty(trainObjects.Intersect(testObjects));
        Assert.NotEmpty(testObjects);

        foreach (var byClass in images.GroupBy(i => i.Label))
        {
            double held = test.Count(i => i.Label == byClass.Key) / (double)byClass.Count();
            // Whole objects of up to 12 frames in a class of ~200 files: within a few points of the fraction.
            Assert.InRange(held, 0.20, 0.30);
        }
    }

    [Fact]
    public void A_split_by_file_of_the_same_folder_puts_most_objects_on_both_sides()
    {
        // What the grouping prevents: without it, frames of one object fall on both sides.
        var (images, objectOf) = Folder();
        var (train, test) = ImageFolderSplit.Split(images, 0.25, seed: 3);
        var shared = train.Select(i => objectOf[i.ImagePath]).ToHashSet();
        shared.IntersectWith(test.Select(i => objectOf[i.ImagePath]));
        Assert.True(shared.Count > 20, $"{shared.Count} objects on both sides");
    }

    [Fact]
    public void Sub_folders_of_a_class_folder_are_groups_and_files_beside_them_stand_alone()
    {
        var images = new List<ImageFile>();
        for (int unit = 0; unit < 20; unit++)
        for (int frame = 0; frame < 5; frame++)
            images.Add(new ImageFile { ImagePath = $"{Root}/dwarves/unit{unit}/pose/{frame}.png", Label = "dwarves" });
        for (int loose = 0; loose < 25; loose++)
            images.Add(new ImageFile { ImagePath = $"{Root}/dwarves/loose{loose}.png", Label = "dwarves" });

        var grouping = ImageGrouping.BySubfolder(Root);
        Assert.Equal("unit3", grouping.KeyOf($"{Root}/dwarves/unit3/pose/0.png"));
        Assert.Null(grouping.KeyOf($"{Root}/dwarves/loose1.png"));

        var (train, test) = ImageFolderSplit.Split(images, 0.2, seed: 1, grouping);
        var units = (IEnumerable<ImageFile> side) => side.Where(i => !i.ImagePath.Contains("loose")).Select(i => i.ImagePath.Split('/')[4]).ToHashSet();
        Assert.Empty(units(train).Intersect(units(test)));
        Assert.Equal(25, test.Count);  // 20 % of 125: whole units of 5 and single loose files reach it exactly
        Assert.Contains(test, i => i.ImagePath.Contains("loose"));
    }

    [Fact]
    public void The_same_seed_gives_the_same_split_and_another_seed_another()
    {
        var (images, _) = Folder();
        var grouping = ImageGrouping.ByFileName(@"^(unit\d+)-");
        var first = ImageFolderSplit.Split(images, 0.2, seed: 5, grouping);
        var again = ImageFolderSplit.Split(images, 0.2, seed: 5, grouping);
        var other = ImageFolderSplit.Split(images, 0.2, seed: 6, grouping);
        Assert.Equal(first.Test.Select(i => i.ImagePath), again.Test.Select(i => i.ImagePath));
        Assert.Equal(first.Train.Select(i => i.ImagePath), again.Train.Select(i => i.ImagePath));
        Assert.NotEqual(first.Test.Select(i => i.ImagePath).Order(), other.Test.Select(i => i.ImagePath).Order());
    }

    [Fact]
    public void Without_a_grouping_each_class_holds_out_the_rounded_fraction_of_its_files()
    {
        var images = Enumerable.Range(0, 37).Select(i => new ImageFile { ImagePath = $"{Root}/a/{i}.png", Label = "a" })
            .Concat(Enumerable.Range(0, 11).Select(i => new ImageFile { ImagePath = $"{Root}/b/{i}.png", Label = "b" }))
            .ToList();
        var (train, test) = ImageFolderSplit.Split(images, 0.3, seed: 2);
        Assert.Equal((int)Math.Round(37 * 0.3), test.Count(i => i.Label == "a"));
        Assert.Equal((int)Math.Round(11 * 0.3), test.Count(i => i.Label == "b"));
        Assert.Equal(48, train.Count + test.Count);
    }

    [Fact]
    public void A_pattern_that_is_not_a_regular_expression_or_groups_nothing_is_refused_in_words()
    {
        var bad = Assert.Throws<ArgumentException>(() => ImageGrouping.ByFileName("(unit"));
        Assert.Contains("'(unit' is not a regular expression", bad.Message);

        var (images, _) = Folder();
        var none = Assert.Throws<InvalidDataException>(() => ImageFolderSplit.Split(images, 0.2, 1, ImageGrouping.ByFileName(@"^frame(\d+)")));
        Assert.Contains($"puts none of the {images.Count:N0} image files in a group", none.Message);
        Assert.Contains("'unit00-attack-1.png'", none.Message);
    }

    [Fact]
    public void Without_a_capture_group_the_whole_match_is_the_key()
    {
        var grouping = ImageGrouping.ByFileName(@"^[a-z]+\d+");
        Assert.Equal("unit12", grouping.KeyOf($"{Root}/orcs/unit12-attack-3.png"));
        Assert.Null(grouping.KeyOf($"{Root}/orcs/12.png"));
    }
}
