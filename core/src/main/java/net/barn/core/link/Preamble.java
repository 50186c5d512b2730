package net.barn.core.link;

import java.util.Arrays;

/**
 * The 8 bytes an initiator sends before its first Noise message: "BARN", the link protocol's
 * major version, three zero bytes. They are also the Noise prologue, so a tampered preamble
 * fails the handshake. A responder that does not speak the version answers with its own
 * preamble as a frame body and closes.
 */
public final class Preamble {
    public static final int LENGTH = 8;
    public static final int VERSION = 1;
    private static final byte[] MAGIC = {'B', 'A', 'R', 'N'};

    private Preamble() {}

    public static byte[] encode(int version) {
        byte[] out = new byte[LENGTH];
        System.arraycopy(MAGIC, 0, out, 0, MAGIC.length);
        out[4] = (byte) version;
        return out;
    }

    public static boolean hasMagic(byte[] bytes) {
        return bytes.length >= MAGIC.length && Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length);
    }

    /** The version a well-formed preamble names, or -1 if the bytes are not a BARN preamble. */
    public static int version(byte[] bytes) {
        if (bytes.length != LENGTH || !hasMagic(bytes) || bytes[5] != 0 || bytes[6] != 0 || bytes[7] != 0) {
            return -1;
        }
        return bytes[4] & 0xff;
    }
}
