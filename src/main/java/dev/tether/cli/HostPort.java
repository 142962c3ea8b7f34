package dev.tether.cli;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One {@code HOST:PORT} from the command line: {@code 127.0.0.1:7000}, {@code localhost:7000},
 * {@code [::1]:7000}. Kept as the user wrote it, for output; {@link #resolve()} looks the host up.
 */
record HostPort(String host, int port) {

    static final String FORMAT = "HOST:PORT[,HOST:PORT...]";

    /**
     * Parses a comma-separated list for {@code option}. Port 0 (any free port) only if {@code allowPortZero}.
     * Every problem names the option and the offending part.
     */
    static List<HostPort> parseList(String option, String value, boolean allowPortZero) throws UsageException {
        List<HostPort> list = new ArrayList<>();
        Set<HostPort> seen = new HashSet<>();
        for (String part : value.split(",", -1)) {
            HostPort hp = parse(option, part.strip(), value, allowPortZero);
            if (!seen.add(hp)) {
                throw new UsageException(option + " lists " + hp + " twice");
            }
            list.add(hp);
        }
        return List.copyOf(list);
    }

    private static HostPort parse(String option, String part, String whole, boolean allowPortZero) throws UsageException {
        String host;
        String port;
        if (part.startsWith("[")) {
            int close = part.indexOf(']');
            if (close < 0 || close + 1 >= part.length() || part.charAt(close + 1) != ':') {
                throw bad(option, whole);
            }
            host = part.substring(1, close);
            port = part.substring(close + 2);
        } else {
            int colon = part.lastIndexOf(':');
            if (colon < 0) {
                throw bad(option, whole);
            }
            host = part.substring(0, colon);
            port = part.substring(colon + 1);
            if (host.contains(":")) {
                throw new UsageException(option + " expects " + FORMAT + ", got '" + whole
                        + "' (write an IPv6 address in brackets: [::1]:7000)");
            }
        }
        if (host.isEmpty() || port.isEmpty()) {
            throw bad(option, whole);
        }
        int p;
        try {
            p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new UsageException(option + " expects a port number after the host, got '" + port + "' in '" + whole + "'");
        }
        int min = allowPortZero ? 0 : 1;
        if (p < min || p > 65535) {
            throw new UsageException(option + ": port must be " + min + " to 65535, got " + p + " in '" + whole + "'");
        }
        return new HostPort(host, p);
    }

    private static UsageException bad(String option, String whole) {
        return new UsageException(option + " expects " + FORMAT + ", got '" + whole + "'");
    }

    /** Looks the host up now; an unknown host is a usage error naming {@code option}. */
    InetSocketAddress resolve(String option) throws UsageException {
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException e) {
            throw new UsageException(option + ": unknown host '" + host + "'");
        }
    }

    /** {@code host:port}, IPv6 literals in brackets. */
    static String format(InetSocketAddress address) {
        String host = address.getAddress() != null ? address.getAddress().getHostAddress() : address.getHostString();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    @Override
    public String toString() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
