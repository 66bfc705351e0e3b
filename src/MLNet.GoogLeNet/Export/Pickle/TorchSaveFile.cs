using System.Buffers.Binary;
using System.IO.Compression;
using System.Numerics;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Export.Pickle;

/// <summary>
/// A state dict as <c>torch.save</c> writes it, in either of PyTorch's two formats: the zip archive of PyTorch 1.6 and
/// later (<c>archive/data.pkl</c>, whose persistent ids name the storages <c>archive/data/KEY</c>), and the format before
/// it, which every file published before 2020 is in and <c>torch.save(…, _use_new_zipfile_serialization=False)</c> still
/// writes: five pickles one after the other (a magic number, the format's version 1001, the writer's byte order, the
/// state dict whose persistent ids name storages, the list of storage keys), then each storage as a 64-bit element count
/// and its bytes, in that list's order.
/// </summary>
/// <remarks>
/// A tensor is a view of a storage — an offset, a shape and strides — and several tensors may share one (a transposed
/// copy, a row of a matrix, a view of a root storage in files of PyTorch before 1.0): each is read as a contiguous copy
/// of what it views. Every count and size is checked against the file before memory of that size is allocated.
/// </remarks>
internal static class TorchSaveFile
{
    private static readonly BigInteger LegacyMagic = BigInteger.Parse("119547037146038801333356");  // 0x1950a86a20f9469cfc6c
    private const long LegacyVersion = 1001;

    /// <summary>True when the stream starts as a zip archive does ("PK\x03\x04"); the stream is left where it was.</summary>
    public static bool IsZip(Stream stream)
    {
        long start = stream.Position;
        Span<byte> head = stackalloc byte[4];
        int read = stream.ReadAtLeast(head, 4, throwOnEndOfStream: false);
        stream.Position = start;
        return read == 4 && head.SequenceEqual("PK\x03\x04"u8);
    }

    /// <summary>
    /// The state dict's keys, in the file's order, without reading its tensors; every storage they need is checked to be
    /// in the file with its size, so that a file cut short or lying about its sizes is refused here already.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not a state dict in either format, or a storage is missing or short.</exception>
    public static IReadOnlyList<string> ReadKeys(Stream stream) => [.. Parse(stream, readData: false).Views.Keys];

    /// <summary>Every tensor of the state dict, contiguous on the CPU, for the caller to dispose.</summary>
    /// <exception cref="InvalidDataException">The file is not a state dict in either format, or its data is short or lies about its sizes.</exception>
    public static Dictionary<string, Tensor> Read(Stream stream)
    {
        var (views, storages) = Parse(stream, readData: true);
        var state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var (key, view) in views)
                state[key] = view.Materialise(key);
            return state;
        }
        catch
        {
            foreach (var tensor in state.Values)
                tensor.Dispose();
            throw;
        }
        finally
        {
            foreach (var storage in storages)
                storage.Dispose();
        }
    }

    /// <summary>
    /// The state dict's tensors as views of its storages, each storage checked to be in the file with its size and, with
    /// <paramref name="readData"/>, read (the caller disposes the storages then).
    /// </summary>
    private static (Dictionary<string, TensorView> Views, IReadOnlyCollection<Storage> Storages) Parse(Stream stream, bool readData)
    {
        if (IsZip(stream))
        {
            using var archive = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
            var (pickled, zipCalls) = UnpickleZip(archive);
            return (StateDict(pickled), ReadStorages(zipCalls, () =>
            {
                foreach (var storage in zipCalls.Storages.Values)
                    storage.FromZip(archive, readData);
            }));
        }
        var (legacy, calls) = UnpickleLegacy(stream);
        return (StateDict(legacy), ReadStorages(calls, () => ReadLegacyStorages(stream, calls, readData)));
    }

    /// <summary>Runs <paramref name="read"/>, disposing what it read of <paramref name="calls"/>' storages if it fails.</summary>
    private static IReadOnlyCollection<Storage> ReadStorages(TorchCalls calls, Action read)
    {
        try
        {
            read();
            return calls.Storages.Values;
        }
        catch
        {
            foreach (var storage in calls.Storages.Values)
                storage.Dispose();
            throw;
        }
    }

    private static (object? Pickled, TorchCalls Calls) UnpickleZip(ZipArchive archive)
    {
        var pickles = archive.Entries.Where(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) || e.FullName == "data.pkl").ToList();
        if (pickles.Count != 1)
            throw new InvalidDataException($"the zip archive holds {pickles.Count} data.pkl entries; a file of torch.save holds one");
        var pickle = pickles[0];
        string prefix = pickle.FullName[..^"data.pkl".Length];
        if (pickle.Length > 1 << 30)
            throw new InvalidDataException($"its data.pkl claims {pickle.Length:N0} bytes");
        var bytes = new MemoryStream((int)pickle.Length);
        using (var entry = pickle.Open())
            entry.CopyTo(bytes);
        bytes.Position = 0;
        var calls = new TorchCalls(archive.Entries.Count, zipPrefix: prefix);
        return (new PickleReader(bytes, calls).Read(), calls);
    }

    private static (object? Pickled, TorchCalls Calls) UnpickleLegacy(Stream stream)
    {
        var header = new PickleReader(stream, NoCalls.Instance);
        if (header.Read() is not BigInteger magic || magic != LegacyMagic)
            throw new InvalidDataException("it is neither a zip archive nor PyTorch's earlier format (its first pickle is not that format's magic number)");
        if (header.Read() is not long version || version != LegacyVersion)
            throw new InvalidDataException($"its format version is not {LegacyVersion}");
        if (header.Read() is not PickleDict system || !system.TryGetValue("little_endian", out var little) || little is not true)
            throw new InvalidDataException("it was written on a big-endian machine, whose byte order this reader does not convert");
        var calls = new TorchCalls(maxStorages: (int)Math.Min(int.MaxValue, stream.Length), zipPrefix: null);
        return (new PickleReader(stream, calls).Read(), calls);
    }

    /// <summary>
    /// After the state dict: the list of storage keys, then each storage's element count and bytes, read into the
    /// storages, or with <paramref name="readData"/> false only checked to be there.
    /// </summary>
    private static void ReadLegacyStorages(Stream stream, TorchCalls calls, bool readData)
    {
        if (new PickleReader(stream, NoCalls.Instance).Read() is not List<object?> keys)
            throw new InvalidDataException("the list of storage keys after the state dict is missing");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        Span<byte> count = stackalloc byte[8];
        foreach (var key in keys)
        {
            if (key is not string name || !calls.Storages.TryGetValue(name, out var storage) || !seen.Add(name))
                throw new InvalidDataException($"storage '{key}' is listed but no tensor uses it, or twice");
            if (stream.ReadAtLeast(count, 8, throwOnEndOfStream: false) < 8)
                throw new InvalidDataException($"the file ends before storage '{name}'");
            long elements = BinaryPrimitives.ReadInt64LittleEndian(count);
            if (elements != storage.Elements)
                throw new InvalidDataException($"storage '{name}' holds {elements:N0} elements where its tensors say {storage.Elements:N0}");
            if (readData)
                storage.Read(stream);
            else
                storage.Skip(stream);
        }
        foreach (var storage in calls.Storages.Values.Where(s => !seen.Contains(s.Key)))
            throw new InvalidDataException($"storage '{storage.Key}' is used by a tensor but not in the file");
    }

    /// <summary>The pickled object as a state dict: string keys, each a tensor.</summary>
    private static Dictionary<string, TensorView> StateDict(object? pickled)
    {
        if (pickled is not PickleDict dict)
            throw new InvalidDataException($"it holds a {Describe(pickled)}, not a state dict (torch.save(model.state_dict(), path))");
        var views = new Dictionary<string, TensorView>(StringComparer.Ordinal);
        foreach (var (key, value) in dict)
        {
            if (key is not string name)
                throw new InvalidDataException($"it has the key {key}, which is not a string: not a state dict");
            views[name] = value as TensorView ?? throw new InvalidDataException(
                $"'{name}' holds a {Describe(value)}, not a tensor: not a state dict (torch.save(model.state_dict(), path)); " +
                "a checkpoint that holds one under a key must be unpacked first");
        }
        return views;
    }

    private static string Describe(object? value) => value switch
    {
        null => "None",
        PickleDict => "dictionary",
        List<object?> => "list",
        object?[] => "tuple",
        TensorView => "tensor",
        _ => value.GetType().Name,
    };

    /// <summary>What torch.save's pickles call: the tensor and parameter rebuilders, OrderedDict, and storages by persistent id.</summary>
    private sealed class TorchCalls(int maxStorages, string? zipPrefix) : IPickleCalls
    {
        public Dictionary<string, Storage> Storages { get; } = new(StringComparer.Ordinal);

        public object? Call(PickleGlobal callable, object?[] arguments) => (callable.Module, callable.Name) switch
        {
            ("collections", "OrderedDict") when arguments.Length <= 1 => OrderedDict(arguments),
            ("torch._utils", "_rebuild_tensor_v2") or ("torch._utils", "_rebuild_tensor") when arguments.Length >= 4 => TensorView.From(arguments),
            ("torch._utils", "_rebuild_parameter") or ("torch._utils", "_rebuild_parameter_with_state") when arguments is [TensorView data, ..] => data,
            _ => throw new InvalidDataException($"its pickle calls {callable} with {arguments.Length} arguments, which a state dict does not"),
        };

        /// <summary>OrderedDict() (torch.save's state dicts, their items set after) or OrderedDict(items) (TorchSharp.PyBridge's).</summary>
        private static PickleDict OrderedDict(object?[] arguments)
        {
            var dict = new PickleDict();
            if (arguments is [var items])
            {
                var pairs = items switch
                {
                    List<object?> list => list,
                    object?[] tuple => [.. tuple],
                    PickleDict other => [.. other.Select(e => (object?)new[] { e.Key, e.Value })],
                    _ => throw new InvalidDataException($"an OrderedDict is made of a {Describe(items)}"),
                };
                foreach (var pair in pairs)
                {
                    if (pair is not object?[] { Length: 2 } item || item[0] is null)
                        throw new InvalidDataException("an OrderedDict's items are not key and value pairs");
                    dict[item[0]!] = item[1];
                }
            }
            return dict;
        }

        /// <summary>An OrderedDict's attributes (its <c>_metadata</c>), which a state dict's tensors do not need.</summary>
        public void Build(object? target, object? state)
        {
            if (target is not PickleDict)
                throw new InvalidDataException($"its pickle sets the state of a {Describe(target)}, which a state dict does not");
        }

        /// <summary>
        /// ('storage', type, key, location, elements) in the zip format; the earlier format adds view metadata, null or
        /// (view key, offset, elements): a storage that is part of the root storage <c>key</c>.
        /// </summary>
        public object? PersistentLoad(object? id)
        {
            if (id is not object?[] { Length: >= 5 } fields || fields[0] is not "storage")
                throw new InvalidDataException("a persistent id is not a storage's");
            var type = fields[1] as PickleGlobal ?? throw new InvalidDataException("a storage's type is not a class");
            string key = fields[2] as string ?? throw new InvalidDataException("a storage's key is not a string");
            long elements = fields[4] as long? ?? throw new InvalidDataException($"storage '{key}' has no element count");
            if (!Storages.TryGetValue(key, out var storage))
            {
                if (Storages.Count >= maxStorages)
                    throw new InvalidDataException($"it names more storages than its {maxStorages:N0} entries or bytes could hold");
                storage = Storage.Create(key, type, elements, zipPrefix);
                Storages[key] = storage;
            }
            else if (storage.Type != Storage.TypeOf(type, key) || storage.Elements != elements)
                throw new InvalidDataException($"storage '{key}' is named with two types or sizes");
            if (fields is [.., object?[] { Length: 3 } view])
            {
                // A view of the root storage: elements [offset, offset + count) of it.
                long offset = view[1] as long? ?? -1, count = view[2] as long? ?? -1;
                if (offset < 0 || count < 0 || offset + count > elements)
                    throw new InvalidDataException($"a view of storage '{key}' lies outside its {elements:N0} elements");
                return new StorageView(storage, offset);
            }
            return new StorageView(storage, 0);
        }
    }

    /// <summary>The calls of the earlier format's header pickles, which have none.</summary>
    private sealed class NoCalls : IPickleCalls
    {
        public static readonly NoCalls Instance = new();
        public object? Call(PickleGlobal callable, object?[] arguments) => throw new InvalidDataException($"its header calls {callable}");
        public void Build(object? target, object? state) => throw new InvalidDataException("its header sets an object's state");
        public object? PersistentLoad(object? id) => throw new InvalidDataException("its header names a storage");
    }

    /// <summary>A storage as a tensor's first argument: the storage and where in it the tensor's offset counts from.</summary>
    private sealed record StorageView(Storage Storage, long Offset);

    /// <summary>A tensor as the pickle describes it: a view (offset, shape, strides) of a storage, read once the storages are.</summary>
    private sealed record TensorView(StorageView Storage, long Offset, long[] Shape, long[] Strides)
    {
        public static TensorView From(object?[] arguments)
        {
            var storage = arguments[0] as StorageView ?? throw new InvalidDataException("a tensor is built on something that is not a storage");
            long offset = arguments[1] as long? ?? throw new InvalidDataException("a tensor's storage offset is not an integer");
            long[] shape = Integers(arguments[2], "shape"), strides = Integers(arguments[3], "strides");
            if (shape.Length != strides.Length || shape.Any(s => s < 0) || strides.Any(s => s < 0) || offset < 0)
                throw new InvalidDataException($"a tensor of storage '{storage.Storage.Key}' has shape ({string.Join(", ", shape)}), strides ({string.Join(", ", strides)}) and offset {offset}");
            // The last element it views must lie inside the storage (an empty tensor views nothing).
            BigInteger last = storage.Offset + (BigInteger)offset + shape.Zip(strides, (n, s) => (BigInteger)(n - 1) * s).Aggregate(BigInteger.Zero, (a, b) => a + b);
            if (!shape.Contains(0) && last >= storage.Storage.Elements)
                throw new InvalidDataException($"a tensor of shape ({string.Join(", ", shape)}) reaches element {last:N0} of storage '{storage.Storage.Key}', which holds {storage.Storage.Elements:N0}");
            return new TensorView(storage, offset, shape, strides);
        }

        /// <summary>A contiguous copy of the elements this tensor views.</summary>
        public Tensor Materialise(string key)
        {
            using var scope = NewDisposeScope();
            var data = Storage.Storage.Data ?? throw new InvalidDataException($"'{key}': its storage was not read");
            // One copy either way: contiguous() copies a strided view and returns a contiguous one as it is, sharing the storage.
            var view = data.as_strided(Shape, Strides, Storage.Offset + Offset);
            return (view.is_contiguous() ? view.clone() : view.contiguous()).MoveToOuterDisposeScope();
        }

        private static long[] Integers(object? value, string what) => value is object?[] items && items.All(i => i is long)
            ? [.. items.Cast<long>()]
            : throw new InvalidDataException($"a tensor's {what} is not a tuple of integers");
    }

    /// <summary>One storage: its element type and count, and once read, its elements as a one-dimensional CPU tensor.</summary>
    private sealed class Storage : IDisposable
    {
        private Storage(string key, ScalarType type, long elements, string? zipEntry)
        {
            Key = key;
            Type = type;
            Elements = elements;
            ZipEntry = zipEntry;
        }

        public string Key { get; }
        public ScalarType Type { get; }
        public long Elements { get; }
        public string? ZipEntry { get; }
        public Tensor? Data { get; private set; }

        /// <summary>Bytes of the whole storage.</summary>
        public long Bytes => Elements * ElementSize(Type);

        public static Storage Create(string key, PickleGlobal type, long elements, string? zipPrefix)
        {
            if (elements < 0 || elements > long.MaxValue / 16)
                throw new InvalidDataException($"storage '{key}' claims {elements:N0} elements");
            return new Storage(key, TypeOf(type, key), elements, zipPrefix is null ? null : $"{zipPrefix}data/{key}");
        }

        /// <summary>The element type of a storage class (torch.FloatStorage …).</summary>
        public static ScalarType TypeOf(PickleGlobal type, string key) => type.Name switch
        {
            "FloatStorage" => ScalarType.Float32,
            "DoubleStorage" => ScalarType.Float64,
            "HalfStorage" => ScalarType.Float16,
            "BFloat16Storage" => ScalarType.BFloat16,
            "LongStorage" => ScalarType.Int64,
            "IntStorage" => ScalarType.Int32,
            "ShortStorage" => ScalarType.Int16,
            "CharStorage" => ScalarType.Int8,
            "ByteStorage" => ScalarType.Byte,
            "BoolStorage" => ScalarType.Bool,
            _ => throw new InvalidDataException($"storage '{key}' is a {type}, not one of the element types a state dict's tensors have"),
        };

        private static int ElementSize(ScalarType type) => type switch
        {
            ScalarType.Float64 or ScalarType.Int64 => 8,
            ScalarType.Float32 or ScalarType.Int32 => 4,
            ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Int16 => 2,
            _ => 1,
        };

        /// <summary>Checks the storage's zip entry holds exactly its bytes and, with <paramref name="readData"/>, reads it.</summary>
        public void FromZip(ZipArchive archive, bool readData)
        {
            var entry = archive.GetEntry(ZipEntry!) ?? throw new InvalidDataException($"storage '{Key}' ({ZipEntry}) is not in the archive");
            if (entry.Length != Bytes)
                throw new InvalidDataException($"storage '{Key}' holds {entry.Length:N0} bytes where its {Elements:N0} elements need {Bytes:N0}");
            if (readData)
            {
                using var data = entry.Open();
                Read(data);
            }
        }

        /// <summary>Moves past the storage's <see cref="Bytes"/> bytes, after checking that many are left.</summary>
        public void Skip(Stream stream)
        {
            CheckLeft(stream);
            stream.Seek(Bytes, SeekOrigin.Current);
        }

        private void CheckLeft(Stream stream)
        {
            if (stream.CanSeek && Bytes > stream.Length - stream.Position)
                throw new InvalidDataException($"storage '{Key}' claims {Bytes:N0} bytes where {stream.Length - stream.Position:N0} are left");
        }

        /// <summary>Reads <see cref="Bytes"/> bytes of <paramref name="stream"/> into a new tensor, after checking that many are left.</summary>
        public void Read(Stream stream)
        {
            CheckLeft(stream);
            var data = empty([Elements], Type);
            try
            {
                var target = data.bytes;
                while (!target.IsEmpty)
                {
                    int read = stream.Read(target[..Math.Min(target.Length, 1 << 20)]);
                    if (read == 0)
                        throw new InvalidDataException($"the file ends inside storage '{Key}'");
                    target = target[read..];
                }
            }
            catch
            {
                data.Dispose();
                throw;
            }
            Data = data;
        }

        public void Dispose() => Data?.Dispose();
    }
}
