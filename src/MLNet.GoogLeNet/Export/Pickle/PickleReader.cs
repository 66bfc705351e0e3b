using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace MLNet.GoogLeNet.Export.Pickle;

/// <summary>
/// Reads one Python pickle from a stream: the opcodes <c>torch.save</c> writes (protocol 2, and those of protocols 3 to 5
/// a later writer may use), evaluated on a stack. Python values become .NET ones — str <see cref="string"/>, int
/// <see cref="long"/> (or <see cref="BigInteger"/>), float <see cref="double"/>, bool, None null, bytes
/// <see cref="byte"/>[], tuple <see cref="object"/>[], list <see cref="List{T}"/>, dict <see cref="PickleDict"/> — and a
/// class or function the pickle names is a <see cref="PickleGlobal"/>, which nothing here imports or runs: what a call
/// (REDUCE, NEWOBJ) and an object's state (BUILD) mean is the caller's to say, and a persistent id (BINPERSID) is handed
/// to it too.
/// </summary>
/// <remarks>
/// Every length the pickle gives is checked against what is left of the stream before anything of that size is
/// allocated, so a lying or truncated file fails with <see cref="InvalidDataException"/> and bounded memory.
/// </remarks>
internal sealed class PickleReader(Stream stream, IPickleCalls calls)
{
    private readonly Stack<object?> _stack = new();
    private readonly Stack<int> _marks = new();
    private readonly Dictionary<long, object?> _memo = [];

    /// <summary>Reads opcodes up to STOP and returns the object the pickle describes.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a pickle this reader understands, or end too early.</exception>
    public object? Read()
    {
        _stack.Clear();
        _marks.Clear();
        _memo.Clear();
        while (true)
        {
            long at = stream.Position;
            byte opcode = ReadByte();
            switch (opcode)
            {
                case 0x80: ReadByte(); break;                                           // PROTO
                case 0x95: ReadBytes(8); break;                                         // FRAME: a length hint only
                case (byte)'.':                                                         // STOP
                    if (_stack.Count != 1)
                        throw Invalid($"the pickle ends with {_stack.Count} values on its stack instead of one");
                    return _stack.Pop();
                case (byte)'(': _marks.Push(_stack.Count); break;                       // MARK
                case (byte)'0': Pop(); break;                                           // POP
                case (byte)'1': PopMark(); break;                                       // POP_MARK
                case (byte)'2': _stack.Push(Peek()); break;                             // DUP
                case (byte)'N': _stack.Push(null); break;                               // NONE
                case 0x88: _stack.Push(true); break;                                    // NEWTRUE
                case 0x89: _stack.Push(false); break;                                   // NEWFALSE
                case (byte)'J': _stack.Push((long)BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(4))); break;  // BININT
                case (byte)'K': _stack.Push((long)ReadByte()); break;                   // BININT1
                case (byte)'M': _stack.Push((long)BinaryPrimitives.ReadUInt16LittleEndian(ReadBytes(2))); break; // BININT2
                case 0x8a: _stack.Push(Long(ReadBytes(ReadByte()))); break;             // LONG1
                case 0x8b: _stack.Push(Long(ReadBytes(ReadLength(4)))); break;          // LONG4
                case (byte)'G': _stack.Push(BinaryPrimitives.ReadDoubleBigEndian(ReadBytes(8))); break;          // BINFLOAT
                case (byte)'X': _stack.Push(Encoding.UTF8.GetString(ReadBytes(ReadLength(4)))); break;          // BINUNICODE
                case 0x8c: _stack.Push(Encoding.UTF8.GetString(ReadBytes(ReadByte()))); break;                  // SHORT_BINUNICODE
                case 0x8d: _stack.Push(Encoding.UTF8.GetString(ReadBytes(ReadLength(8)))); break;               // BINUNICODE8
                case (byte)'T': _stack.Push(Encoding.Latin1.GetString(ReadBytes(ReadLength(4)))); break;        // BINSTRING (Python 2)
                case (byte)'U': _stack.Push(Encoding.Latin1.GetString(ReadBytes(ReadByte()))); break;           // SHORT_BINSTRING
                case (byte)'B': _stack.Push(ReadBytes(ReadLength(4))); break;           // BINBYTES
                case (byte)'C': _stack.Push(ReadBytes(ReadByte())); break;              // SHORT_BINBYTES
                case 0x8e: _stack.Push(ReadBytes(ReadLength(8))); break;                // BINBYTES8
                case (byte)')': _stack.Push(Array.Empty<object?>()); break;             // EMPTY_TUPLE
                case (byte)'t': _stack.Push(PopMark().ToArray()); break;                // TUPLE
                case 0x85: _stack.Push(new[] { Pop() }); break;                         // TUPLE1
                case 0x86: { var b = Pop(); var a = Pop(); _stack.Push(new[] { a, b }); break; }                    // TUPLE2
                case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); _stack.Push(new[] { a, b, c }); break; }  // TUPLE3
                case (byte)']': _stack.Push(new List<object?>()); break;                // EMPTY_LIST
                case (byte)'l': _stack.Push(PopMark()); break;                          // LIST
                case (byte)'a': { var item = Pop(); List(Peek()).Add(item); break; }    // APPEND
                case (byte)'e': { var items = PopMark(); List(Peek()).AddRange(items); break; }                     // APPENDS
                case (byte)'}': _stack.Push(new PickleDict()); break;                   // EMPTY_DICT
                case (byte)'d': { var dict = new PickleDict(); SetItems(dict, PopMark()); _stack.Push(dict); break; } // DICT
                case (byte)'s': { var value = Pop(); var key = Pop(); SetItems(Dict(Peek()), [key, value]); break; }  // SETITEM
                case (byte)'u': { var items = PopMark(); SetItems(Dict(Peek()), items); break; }                    // SETITEMS
                case (byte)'q': _memo[ReadByte()] = Peek(); break;                      // BINPUT
                case (byte)'r': _memo[BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4))] = Peek(); break;      // LONG_BINPUT
                case 0x94: _memo[_memo.Count] = Peek(); break;                          // MEMOIZE
                case (byte)'h': _stack.Push(Memo(ReadByte())); break;                   // BINGET
                case (byte)'j': _stack.Push(Memo(BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4)))); break;   // LONG_BINGET
                case (byte)'c': _stack.Push(new PickleGlobal(ReadLine(), ReadLine())); break;                       // GLOBAL
                case 0x93: { var name = Text(Pop()); var module = Text(Pop()); _stack.Push(new PickleGlobal(module, name)); break; } // STACK_GLOBAL
                case (byte)'R':                                                         // REDUCE
                case 0x81:                                                              // NEWOBJ
                {
                    var arguments = Pop() as object?[] ?? throw Invalid("a call's arguments are not a tuple");
                    var callable = Pop() as PickleGlobal ?? throw Invalid("the pickle calls something that is not a class or function");
                    _stack.Push(calls.Call(callable, arguments));
                    break;
                }
                case (byte)'b': { var state = Pop(); calls.Build(Peek(), state); break; } // BUILD
                case (byte)'Q': _stack.Push(calls.PersistentLoad(Pop())); break;       // BINPERSID
                default:
                    throw Invalid($"opcode 0x{opcode:x2} at byte {at} is not one this reader knows (a state dict saved by torch.save has none)");
            }
        }
    }

    private object? Pop() => _stack.Count > (_marks.Count > 0 ? _marks.Peek() : 0)
        ? _stack.Pop()
        : throw Invalid("an opcode takes a value from an empty stack");

    private object? Peek() => _stack.Count > 0 ? _stack.Peek() : throw Invalid("an opcode reads an empty stack");

    /// <summary>The values pushed since the last MARK, in the order they were pushed; the mark is gone.</summary>
    private List<object?> PopMark()
    {
        if (_marks.Count == 0)
            throw Invalid("an opcode needs a MARK that is not there");
        int mark = _marks.Pop();
        var items = new List<object?>(_stack.Count - mark);
        while (_stack.Count > mark)
            items.Add(_stack.Pop());
        items.Reverse();
        return items;
    }

    private object? Memo(long index) => _memo.TryGetValue(index, out var value) ? value : throw Invalid($"memo entry {index} is read before it is written");

    private static void SetItems(PickleDict dict, List<object?> items)
    {
        if (items.Count % 2 != 0)
            throw Invalid("a dictionary's items do not come in key and value pairs");
        for (int i = 0; i < items.Count; i += 2)
            dict[items[i] ?? throw Invalid("a dictionary has the key None")] = items[i + 1];
    }

    private static List<object?> List(object? value) => value as List<object?> ?? throw Invalid("an item is appended to something that is not a list");

    private static PickleDict Dict(object? value) => value as PickleDict ?? throw Invalid("an item is set on something that is not a dictionary");

    private static string Text(object? value) => value as string ?? throw Invalid("a class is named by something that is not a string");

    private static object Long(byte[] bytes)
    {
        var value = new BigInteger(bytes, isUnsigned: false, isBigEndian: false);
        return value >= long.MinValue && value <= long.MaxValue ? (long)value : (object)value;
    }

    private byte ReadByte()
    {
        int value = stream.ReadByte();
        return value >= 0 ? (byte)value : throw Invalid("the pickle ends before its STOP");
    }

    /// <summary>A length of <paramref name="bytes"/> bytes, checked against what is left of the stream.</summary>
    private int ReadLength(int bytes)
    {
        var raw = ReadBytes(bytes);
        ulong length = bytes == 4 ? BinaryPrimitives.ReadUInt32LittleEndian(raw) : BinaryPrimitives.ReadUInt64LittleEndian(raw);
        long left = stream.Length - stream.Position;
        if (length > (ulong)left || length > int.MaxValue)
            throw Invalid($"a value claims {length:N0} bytes where {left:N0} are left");
        return (int)length;
    }

    private byte[] ReadBytes(int count)
    {
        var bytes = new byte[count];
        if (stream.ReadAtLeast(bytes, count, throwOnEndOfStream: false) < count)
            throw Invalid("the pickle ends before its STOP");
        return bytes;
    }

    /// <summary>A line of a GLOBAL opcode (a module or a name), at most 256 bytes.</summary>
    private string ReadLine()
    {
        var line = new List<byte>();
        for (byte b = ReadByte(); b != (byte)'\n'; b = ReadByte())
        {
            if (line.Count == 256)
                throw Invalid("a class name runs over 256 bytes");
            line.Add(b);
        }
        return Encoding.UTF8.GetString([.. line]);
    }

    private static InvalidDataException Invalid(string what) => new(what);
}

/// <summary>A class or function a pickle names (<c>collections.OrderedDict</c>, <c>torch._utils._rebuild_tensor_v2</c>).</summary>
internal sealed record PickleGlobal(string Module, string Name)
{
    public override string ToString() => $"{Module}.{Name}";
}

/// <summary>A Python dict read from a pickle: its keys in the order they were set.</summary>
internal sealed class PickleDict : OrderedDictionary<object, object?>;

/// <summary>What the objects a pickle builds mean, for <see cref="PickleReader"/>.</summary>
internal interface IPickleCalls
{
    /// <summary>The value of <paramref name="callable"/>(*<paramref name="arguments"/>) (REDUCE and NEWOBJ).</summary>
    object? Call(PickleGlobal callable, object?[] arguments);

    /// <summary>Gives <paramref name="target"/> the <paramref name="state"/> a BUILD opcode sets.</summary>
    void Build(object? target, object? state);

    /// <summary>The object a persistent id stands for (BINPERSID).</summary>
    object? PersistentLoad(object? id);
}
