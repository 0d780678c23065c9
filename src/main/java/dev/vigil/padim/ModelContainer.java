package dev.vigil.padim;

import dev.vigil.files.PrivateFiles;
import dev.vigil.padim.ModelFileException.Check;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.zip.CRC32C;

import static java.nio.file.StandardCopyOption.ATOMIC_MOVE;
import static java.nio.file.StandardCopyOption.REPLACE_EXISTING;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

/**
 * The container models and partial fits share (docs/model-format.md, "Byte layout"): 8-byte magic, u16 version, u32
 * header length, the header, its CRC32C, then payload blocks, each followed by its own CRC32C; little-endian
 * throughout. What the header says is {@link ModelHeader}'s business; this class checks the framing. A file is
 * untrusted input: every length read from it is checked against a fixed bound and against the bytes the file
 * actually holds before anything is allocated for it. Payloads stream through a few-MB buffer, as a d = 550 model
 * is ~1.9 GB.
 */
final class ModelContainer {
    /** Magic, version and header length: the bytes before the header. */
    static final int PREAMBLE = 8 + 2 + 4;
    /** Real headers are a few KB; a larger length is a damaged length field, not a reason to allocate gigabytes. */
    static final int MAX_HEADER_BYTES = 16 << 20;
    private static final int CHECKSUM = 4;
    private static final int CHUNK = 4 << 20;
    private static final SecureRandom RANDOM = new SecureRandom();

    private ModelContainer() {
    }

    /** A file's format version and its header bytes, checksum verified. */
    record Framed(int version, byte[] header) {
    }

    /** Reads the header and its checksum, {@code length} of them known to be present. */
    private interface HeaderSource {
        ByteBuffer read(int length) throws IOException;
    }

    /**
     * The framing of a model's first bytes, e.g. the first chunk of a version on the models topic; the payload,
     * which {@code prefix} need not hold, is not looked at.
     *
     * @param name what to call the file in messages, in place of a path
     */
    static Framed frame(byte[] prefix, Path name, ModelFileKind kind) throws ModelFileException {
        try {
            return frame(name, kind, prefix, prefix.length,
                    length -> ByteBuffer.wrap(prefix, PREAMBLE, length + CHECKSUM).slice());
        } catch (ModelFileException e) {
            throw e;
        } catch (IOException e) {
            throw new IllegalStateException("reading an array cannot fail", e);
        }
    }

    /**
     * Checks, in the order of docs/model-format.md: magic, length of the preamble, version, header length (against
     * {@link #MAX_HEADER_BYTES} and then against the {@code available} bytes, before the header is read), header
     * checksum.
     */
    private static Framed frame(Path file, ModelFileKind kind, byte[] preamble, long available, HeaderSource source)
            throws IOException {
        int got = (int) Math.min(available, PREAMBLE);
        byte[] magic = kind.magic();
        // a short file that starts like a model is a cut model; anything else is not a model at all
        if (!Arrays.equals(preamble, 0, Math.min(got, magic.length), magic, 0, Math.min(got, magic.length))) {
            boolean other = got >= magic.length && Arrays.equals(preamble, 0, magic.length, kind.other().magic(), 0,
                    magic.length);
            throw new ModelFileException(file, Check.MAGIC, other ? kind.other().foundInstead()
                    : "is not a Vigil " + kind.noun() + " (bad magic)");
        }
        if (got < PREAMBLE) {
            throw new ModelFileException(file, Check.TRUNCATED, "truncated: expected at least " + PREAMBLE
                    + " bytes (magic, version, header length), found " + got);
        }
        ByteBuffer pre = ByteBuffer.wrap(preamble).order(ByteOrder.LITTLE_ENDIAN);
        int version = pre.getShort(8) & 0xffff;
        if (version > kind.newestVersion()) {
            throw new ModelFileException(file, Check.VERSION, "format version " + version
                    + " is newer than this Vigil supports (" + kind.newestVersion() + ")");
        }
        if (version < 1) {
            throw new ModelFileException(file, Check.VERSION, "format version " + version
                    + " is not a valid version (this Vigil supports 1 to " + kind.newestVersion() + ")");
        }
        long headerLength = pre.getInt(10) & 0xffffffffL;
        if (headerLength == 0 || headerLength > MAX_HEADER_BYTES) {
            throw new ModelFileException(file, Check.HEADER, "header length " + headerLength
                    + " is implausible (damaged length field)");
        }
        if (available < PREAMBLE + headerLength + CHECKSUM) {
            throw new ModelFileException(file, Check.TRUNCATED, "truncated: expected " + headerLength
                    + " header bytes and a 4-byte checksum, found " + (available - PREAMBLE));
        }
        ByteBuffer hb = source.read((int) headerLength).order(ByteOrder.LITTLE_ENDIAN);
        byte[] header = new byte[(int) headerLength];
        hb.get(0, header);
        if ((hb.getInt((int) headerLength) & 0xffffffffL) != crc(header)) {
            throw new ModelFileException(file, Check.HEADER_CHECKSUM, "header checksum mismatch (damaged)");
        }
        return new Framed(version, header);
    }

    /**
     * A file open for reading: its framing checked on opening; then {@link #expectPayload} checks its length, and
     * the blocks are read in order, each ended by {@link #endBlock}.
     */
    static final class Reader implements AutoCloseable {
        private final Path file;
        private final FileChannel ch;
        private final long size;
        private final Framed framed;
        private ByteBuffer buf;
        private final CRC32C crc = new CRC32C();

        private Reader(Path file, FileChannel ch, ModelFileKind kind) throws IOException {
            this.file = file;
            this.ch = ch;
            this.size = ch.size();
            byte[] preamble = new byte[PREAMBLE];
            readFully(ByteBuffer.wrap(preamble), 0);
            this.framed = frame(file, kind, preamble, size, length -> {
                ByteBuffer hb = ByteBuffer.allocate(length + CHECKSUM);
                if (readFully(hb, PREAMBLE) < hb.capacity()) {
                    throw new ModelFileException(file, Check.TRUNCATED, "truncated while reading the header");
                }
                return hb;
            });
        }

        /** Opens and checks the framing; a missing or unreadable path gets a message saying so. */
        static Reader open(Path file, ModelFileKind kind) throws IOException {
            if (!Files.exists(file)) {
                throw new NoSuchFileException(file.toString(), null, kind.noun() + " file does not exist");
            }
            if (!Files.isRegularFile(file)) {
                throw new IOException(kind.noun() + " file " + file + " is not a regular file");
            }
            FileChannel ch = FileChannel.open(file, READ);
            try {
                return new Reader(file, ch, kind);
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
        }

        int version() {
            return framed.version();
        }

        byte[] header() {
            return framed.header();
        }

        /**
         * Checks that the file ends exactly after {@code blockNames.length} blocks of {@code blockBytes}, each with
         * its checksum, and positions the reader at the first. Nothing is allocated for the payload before this.
         *
         * @param blockNames what the blocks hold, for the message when there are several
         */
        void expectPayload(long blockBytes, String... blockNames) throws IOException {
            long[] sizes = new long[blockNames.length];
            java.util.Arrays.fill(sizes, blockBytes);
            expectBlocks(sizes, blockNames);
        }

        /** As {@link #expectPayload}, for blocks of different sizes ({@code blockBytes[i]} for block i). */
        void expectBlocks(long[] blockBytes, String[] blockNames) throws IOException {
            long start = PREAMBLE + framed.header().length + CHECKSUM;
            int blocks = blockNames.length;
            long expected = start;
            long largest = 0;
            for (long b : blockBytes) {
                expected += b + CHECKSUM;
                largest = Math.max(largest, b);
            }
            boolean same = java.util.Arrays.stream(blockBytes).allMatch(b -> b == blockBytes[0]);
            if (size < expected && same && blocks <= 2) {
                throw new ModelFileException(file, Check.TRUNCATED, "truncated: expected " + blockBytes[0]
                        + " payload bytes and a 4-byte checksum" + (blocks == 2 ? ", twice (" + blockNames[0]
                        + " and " + blockNames[1] + " blocks)" : "") + ", found " + (size - start));
            }
            if (size < expected) {
                StringBuilder what = new StringBuilder();
                for (int i = 0; i < blocks; i++) {
                    what.append(i == 0 ? "" : ", ").append(blockBytes[i]).append(blocks > 1 ? " (" + blockNames[i]
                            + ")" : "");
                }
                throw new ModelFileException(file, Check.TRUNCATED, "truncated: expected " + what
                        + " payload bytes and a 4-byte checksum" + (blocks > 1 ? " after each block" : "")
                        + ", found " + (size - start));
            }
            if (size > expected) {
                throw new ModelFileException(file, Check.TRAILING_DATA, "has " + (size - expected)
                        + " bytes of trailing data after the payload checksum");
            }
            ch.position(start);
            buf = ByteBuffer.allocateDirect((int) Math.max(16, Math.min(CHUNK, largest + CHECKSUM)))
                    .order(ByteOrder.LITTLE_ENDIAN);
            buf.flip();
        }

        void floats(FloatBuffer dest) throws IOException {
            FloatBuffer d = dest.duplicate();
            read(d, Float.BYTES, region -> d.put(region.asFloatBuffer()));
        }

        void doubles(DoubleBuffer dest) throws IOException {
            DoubleBuffer d = dest.duplicate();
            read(d, Double.BYTES, region -> d.put(region.asDoubleBuffer()));
        }

        /** Fills {@code d} with little-endian values of {@code size} bytes, each region into the checksum. */
        private void read(java.nio.Buffer d, int size, java.util.function.Consumer<ByteBuffer> put)
                throws IOException {
            while (d.hasRemaining()) {
                fill(size);
                int n = Math.min(d.remaining(), buf.remaining() / size);
                ByteBuffer region = buf.slice(buf.position(), size * n).order(ByteOrder.LITTLE_ENDIAN);
                put.accept(region);
                crc.update(region);
                buf.position(buf.position() + size * n);
            }
        }

        /** Reads {@code bytes} into the checksum only: a block verified without being loaded. */
        void skip(long bytes) throws IOException {
            long left = bytes;
            while (left > 0) {
                fill(1);
                int n = (int) Math.min(left, buf.remaining());
                crc.update(buf.slice(buf.position(), n));
                buf.position(buf.position() + n);
                left -= n;
            }
        }

        /** Reads the block's checksum and compares it with the bytes read since the last block ended. */
        void endBlock(Check check, String mismatch) throws IOException {
            fill(CHECKSUM);
            if ((buf.getInt() & 0xffffffffL) != crc.getValue()) {
                throw new ModelFileException(file, check, mismatch);
            }
            crc.reset();
        }

        private void fill(int n) throws IOException {
            if (buf.remaining() >= n) {
                return;
            }
            buf.compact();
            while (buf.position() < n) {
                if (ch.read(buf) < 0) {
                    // the length was checked up front, so the file shrank while being read
                    throw new ModelFileException(file, Check.TRUNCATED, "truncated while reading the payload");
                }
            }
            buf.flip();
        }

        /** Reads until the buffer is full or the file ends; returns the bytes read. */
        private int readFully(ByteBuffer b, long position) throws IOException {
            int total = 0;
            while (b.hasRemaining()) {
                int r = ch.read(b, position + total);
                if (r < 0) {
                    break;
                }
                total += r;
            }
            return total;
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }

    /** A file's payload blocks, written through the buffered, checksumming output. */
    interface Payload {
        void write(Writer out) throws IOException;
    }

    /**
     * Writes the preamble (magic, version, header and its checksum) and the payload to a temporary file beside
     * {@code target} and renames it into place, so the final name only ever holds a complete file (an interrupted
     * write leaves the previous one, if any); the temporary is deleted on any failure.
     */
    static void write(Path target, ModelFileKind kind, int version, byte[] header, Payload payload)
            throws IOException {
        Path dir = target.getParent();
        Path tmp = dir.resolve("." + target.getFileName() + "." + Long.toUnsignedString(RANDOM.nextLong(), 36)
                + ".tmp");
        try {
            // owner-only: a model's statistics, and the frames of its provenance, come from footage of people
            try (FileChannel ch = PrivateFiles.newChannel(tmp, CREATE_NEW, WRITE)) {
                Writer out = new Writer(ch);
                out.bytes(kind.magic());
                out.u16(version);
                out.u32(header.length);
                out.bytes(header);
                out.u32(crc(header));
                payload.write(out);
                out.flush();
                // data on disk before the rename makes it visible, or a crash could expose an empty file
                ch.force(true);
            }
            Files.move(tmp, target, ATOMIC_MOVE, REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            PrivateFiles.discardAfter(e, tmp);
            throw e;
        }
        syncDirectory(dir);
    }

    private static void syncDirectory(Path dir) {
        // makes the rename itself durable; not every platform can open a directory, and the file is complete either way
        try (FileChannel ch = FileChannel.open(dir, READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // best effort
        }
    }

    private static long crc(byte[] bytes) {
        CRC32C crc = new CRC32C();
        crc.update(bytes);
        return crc.getValue();
    }

    /** Little-endian writer through one direct buffer; CRC32C over each payload block. */
    static final class Writer {
        private final FileChannel ch;
        private final ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
        private final CRC32C crc = new CRC32C();

        private Writer(FileChannel ch) {
            this.ch = ch;
        }

        private void bytes(byte[] b) throws IOException {
            int off = 0;
            while (off < b.length) {
                if (!buf.hasRemaining()) {
                    flush();
                }
                int n = Math.min(buf.remaining(), b.length - off);
                buf.put(b, off, n);
                off += n;
            }
        }

        private void u16(int v) throws IOException {
            ensure(2);
            buf.putShort((short) v);
        }

        private void u32(long v) throws IOException {
            ensure(CHECKSUM);
            buf.putInt((int) v);
        }

        void floats(FloatBuffer src) throws IOException {
            FloatBuffer s = src.duplicate();
            write(s, Float.BYTES, (region, n) -> region.asFloatBuffer().put(s.slice(s.position(), n)));
        }

        void doubles(DoubleBuffer src) throws IOException {
            DoubleBuffer s = src.duplicate();
            write(s, Double.BYTES, (region, n) -> region.asDoubleBuffer().put(s.slice(s.position(), n)));
        }

        /** Writes {@code s}'s values of {@code size} bytes little-endian, each region into the checksum. */
        private void write(java.nio.Buffer s, int size, java.util.function.ObjIntConsumer<ByteBuffer> put)
                throws IOException {
            while (s.hasRemaining()) {
                ensure(size);
                int n = Math.min(s.remaining(), buf.remaining() / size);
                // the view's byte order is the buffer's (little-endian), whatever the source's order
                ByteBuffer region = buf.slice(buf.position(), size * n).order(ByteOrder.LITTLE_ENDIAN);
                put.accept(region, n);
                crc.update(region);
                s.position(s.position() + n);
                buf.position(buf.position() + size * n);
            }
        }

        /** Writes the checksum of the bytes written since the last block ended; the next block's starts afresh. */
        void endBlock() throws IOException {
            u32(crc.getValue());
            crc.reset();
        }

        private void ensure(int n) throws IOException {
            if (buf.remaining() < n) {
                flush();
            }
        }

        private void flush() throws IOException {
            buf.flip();
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            buf.clear();
        }
    }
}
