package net.barn.daemon.api.policy;

/** An inclusive range of ports, written "7000" or "7000-7100" ("*" is 1-65535). */
public record PortRange(int low, int high) {
    public PortRange {
        if (low < 1 || high > 65535 || low > high) {
            throw new IllegalArgumentException("ports are 1-65535, low before high");
        }
    }

    public static PortRange parse(String text) {
        String t = text.trim();
        if (t.equals("*")) {
            return new PortRange(1, 65535);
        }
        try {
            int dash = t.indexOf('-');
            if (dash < 0) {
                int p = Integer.parseInt(t);
                return new PortRange(p, p);
            }
            return new PortRange(Integer.parseInt(t.substring(0, dash).trim()), Integer.parseInt(t.substring(dash + 1).trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not a port or a range like 7000-7100");
        }
    }

    public boolean contains(int port) {
        return port >= low && port <= high;
    }

    @Override
    public String toString() {
        return low == high ? Integer.toString(low) : low + "-" + high;
    }
}
