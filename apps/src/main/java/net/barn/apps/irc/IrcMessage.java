package net.barn.apps.irc;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One IRC line (RFC 1459 section 2.3, RFC 2812 section 2.3.1): an optional prefix, a command,
 * up to 15 parameters, the last of which may be "trailing" (after " :"). Lines are at most
 * 512 bytes with their CR LF; IRCv3 message tags ("@...") are accepted and ignored.
 */
public record IrcMessage(String prefix, String command, List<String> params) {
    public static final int MAX_LINE_BYTES = 512;
    public static final int MAX_PARAMS = 15;

    public IrcMessage {
        params = List.copyOf(params);
    }

    /** Why a line could not be read, for the numeric a server answers with. */
    public static final class BadLine extends Exception {
        public BadLine(String why) {
            super(why);
        }
    }

    /** Decodes one line without its CR LF; commands are upper-cased. */
    public static IrcMessage parse(byte[] raw) throws BadLine {
        String line;
        try {
            line = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(raw)).toString();
        } catch (CharacterCodingException e) {
            throw new BadLine("not UTF-8");
        }
        if (line.indexOf('\0') >= 0) {
            throw new BadLine("NUL in line");
        }
        int i = 0;
        if (line.startsWith("@")) { // message tags: not used here
            int sp = line.indexOf(' ');
            i = sp < 0 ? line.length() : sp + 1;
        }
        while (i < line.length() && line.charAt(i) == ' ') {
            i++;
        }
        String prefix = null;
        if (i < line.length() && line.charAt(i) == ':') {
            int sp = line.indexOf(' ', i);
            if (sp < 0) {
                throw new BadLine("prefix without a command");
            }
            prefix = line.substring(i + 1, sp);
            i = sp + 1;
        }
        List<String> parts = new ArrayList<>();
        String command = null;
        while (i < line.length()) {
            if (line.charAt(i) == ' ') {
                i++;
                continue;
            }
            if (command != null && line.charAt(i) == ':') {
                parts.add(line.substring(i + 1));
                break;
            }
            int sp = line.indexOf(' ', i);
            String word = sp < 0 ? line.substring(i) : line.substring(i, sp);
            if (command == null) {
                command = word.toUpperCase(Locale.ROOT);
            } else {
                parts.add(word);
            }
            i = sp < 0 ? line.length() : sp + 1;
        }
        if (command == null || command.isEmpty()) {
            throw new BadLine("empty line");
        }
        if (parts.size() > MAX_PARAMS) {
            throw new BadLine("more than " + MAX_PARAMS + " parameters");
        }
        return new IrcMessage(prefix, command, parts);
    }

    public String param(int i) {
        return i < params.size() ? params.get(i) : null;
    }

    /** Encodes the line (without CR LF), the last parameter as trailing when it needs to be. */
    public String format() {
        StringBuilder b = new StringBuilder();
        if (prefix != null) {
            b.append(':').append(prefix).append(' ');
        }
        b.append(command);
        for (int i = 0; i < params.size(); i++) {
            String p = params.get(i);
            boolean last = i == params.size() - 1;
            b.append(' ');
            if (last && (p.isEmpty() || p.indexOf(' ') >= 0 || p.startsWith(":") || textLast())) {
                b.append(':');
            }
            b.append(p);
        }
        return b.toString();
    }

    /** Commands whose last parameter is text, sent as trailing the way servers do. */
    private boolean textLast() {
        return params.size() > 1 && (command.chars().allMatch(Character::isDigit)
                || switch (command) {
                    case "PRIVMSG", "NOTICE", "TOPIC", "PART", "KICK" -> true;
                    default -> false;
                }) || switch (command) {
                    case "QUIT", "ERROR" -> true;
                    default -> false;
                };
    }

    public static IrcMessage of(String prefix, String command, String... params) {
        return new IrcMessage(prefix, command, List.of(params));
    }
}
