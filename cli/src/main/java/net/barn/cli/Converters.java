package net.barn.cli;

import java.net.InetSocketAddress;
import net.barn.core.identity.Invite;
import net.barn.core.identity.PeerAddress;
import net.barn.core.identity.PowParams;
import picocli.CommandLine;

/** Command-line value parsing with one-line errors. */
final class Converters {
    private Converters() {}

    static Invite invite(String text) {
        try {
            return Invite.parse(text);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException("bad invite '" + text + "': " + e.getMessage());
        }
    }

    static PowParams pow(String text) {
        try {
            return PowParams.parse(text);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
    }

    static InetSocketAddress listen(String text) {
        String host;
        int port;
        try {
            // HOST:0 asks for any free port, which PeerAddress (an address to dial) rejects.
            boolean anyPort = text.endsWith(":0");
            String full = text.startsWith(":") ? "0.0.0.0" + text : text;
            PeerAddress a = PeerAddress.parse(anyPort ? full.substring(0, full.length() - 1) + "1" : full);
            host = a.host();
            port = anyPort ? 0 : a.port();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException("bad address '" + text + "': " + e.getMessage());
        }
        InetSocketAddress s = new InetSocketAddress(host, port);
        if (s.isUnresolved()) {
            throw new CommandLine.TypeConversionException("cannot resolve host '" + host + "'");
        }
        return s;
    }

    static String oneLine(Throwable e) {
        Throwable c = e;
        while ((c instanceof java.util.concurrent.CompletionException || c instanceof java.util.concurrent.ExecutionException
                || c instanceof java.io.UncheckedIOException) && c.getCause() != null) {
            c = c.getCause();
        }
        String m = c.getMessage();
        return m == null ? c.toString() : m.replace('\n', ' ');
    }
}
