using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text;

namespace Dispatch.Grains.Storage;

/// <summary>
/// The payloads and golden answers of a project's tasks, as UTF-8, packed one after another into shared chunks.
/// A task's texts never change once stored, so nothing here is freed or moved, and a task pays for its bytes and
/// an 8-byte position instead of a UTF-16 string (two bytes a character) with an object header of its own.
/// Not thread-safe: the owner holds a lock.
/// </summary>
internal sealed class TaskTextArena
{
    /// <summary>A full chunk; one this large sits on the large object heap, where the collector never copies it.</summary>
    internal const int ChunkBytes = 1 << 20;

    // Small projects are many (tests, exams), so the first chunk starts small and doubles up to a full chunk.
    private const int FirstChunkBytes = 512;

    // A record: flags, the payload's length in bytes, the payload, then (with a golden answer) its length and bytes.
    private const int HeaderBytes = 1 + sizeof(int);
    private const byte Utf16 = 1;
    private const byte HasGolden = 2;

    private readonly List<byte[]> _chunks = [];
    private int _filling = -1;
    private int _used;

    /// <summary>Stores both texts as one record and returns its position.</summary>
    public long Add(string payload, string? golden)
    {
        // UTF-8 cannot carry a lone surrogate; a text with one keeps its UTF-16 code units, so that every string
        // reads back exactly as it was given.
        var utf16 = !IsWellFormed(payload) || (golden is not null && !IsWellFormed(golden));
        var payloadBytes = ByteCount(payload, utf16);
        var goldenBytes = golden is null ? 0 : ByteCount(golden, utf16);
        var length = HeaderBytes + payloadBytes + (golden is null ? 0 : sizeof(int) + goldenBytes);
        var position = Reserve(length, out var record);

        record[0] = (byte)((utf16 ? Utf16 : 0) | (golden is null ? 0 : HasGolden));
        BinaryPrimitives.WriteInt32LittleEndian(record[1..], payloadBytes);
        Write(payload, record.Slice(HeaderBytes, payloadBytes), utf16);
        if (golden is not null)
        {
            var rest = record[(HeaderBytes + payloadBytes)..];
            BinaryPrimitives.WriteInt32LittleEndian(rest, goldenBytes);
            Write(golden, rest[sizeof(int)..], utf16);
        }

        return position;
    }

    public string Payload(long position)
    {
        var record = At(position);
        var payloadBytes = BinaryPrimitives.ReadInt32LittleEndian(record[1..]);
        return Read(record.Slice(HeaderBytes, payloadBytes), (record[0] & Utf16) != 0);
    }

    public string? Golden(long position)
    {
        var record = At(position);
        if ((record[0] & HasGolden) == 0)
        {
            return null;
        }

        var rest = record[(HeaderBytes + BinaryPrimitives.ReadInt32LittleEndian(record[1..]))..];
        return Read(rest.Slice(sizeof(int), BinaryPrimitives.ReadInt32LittleEndian(rest)), (record[0] & Utf16) != 0);
    }

    private ReadOnlySpan<byte> At(long position) => _chunks[(int)(position >> 32)].AsSpan((int)position);

    private long Reserve(int length, out Span<byte> record)
    {
        if (length > ChunkBytes)
        {
            // A text larger than a chunk gets an array of its own; the chunk being filled stays the one to fill.
            _chunks.Add(new byte[length]);
            record = _chunks[^1];
            return (long)(_chunks.Count - 1) << 32;
        }

        if (_filling < 0)
        {
            _chunks.Add(new byte[Math.Clamp((int)BitOperations.RoundUpToPowerOf2((uint)length), FirstChunkBytes, ChunkBytes)]);
            _filling = _chunks.Count - 1;
            _used = 0;
        }
        else if (_used + length > _chunks[_filling].Length)
        {
            if (_chunks[_filling].Length < ChunkBytes && _used + length <= ChunkBytes)
            {
                // Only the first chunk is ever short of a full one; its records keep their offsets when it grows.
                var grown = _chunks[_filling];
                Array.Resize(ref grown, Math.Min(ChunkBytes, Math.Max(grown.Length * 2, (int)BitOperations.RoundUpToPowerOf2((uint)(_used + length)))));
                _chunks[_filling] = grown;
            }
            else
            {
                _chunks.Add(new byte[ChunkBytes]);
                _filling = _chunks.Count - 1;
                _used = 0;
            }
        }

        var position = ((long)_filling << 32) | (uint)_used;
        record = _chunks[_filling].AsSpan(_used, length);
        _used += length;
        return position;
    }

    private static int ByteCount(string text, bool utf16) => utf16 ? text.Length * sizeof(char) : Encoding.UTF8.GetByteCount(text);

    private static void Write(string text, Span<byte> destination, bool utf16)
    {
        if (utf16)
        {
            MemoryMarshal.AsBytes(text.AsSpan()).CopyTo(destination);
        }
        else
        {
            Encoding.UTF8.GetBytes(text, destination);
        }
    }

    private static string Read(ReadOnlySpan<byte> bytes, bool utf16) =>
        utf16 ? new string(MemoryMarshal.Cast<byte, char>(bytes)) : Encoding.UTF8.GetString(bytes);

    private static bool IsWellFormed(ReadOnlySpan<char> text)
    {
        var i = text.IndexOfAnyInRange('\uD800', '\uDFFF');
        if (i < 0)
        {
            return true;
        }

        for (; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return false;
            }
        }

        return true;
    }
}
