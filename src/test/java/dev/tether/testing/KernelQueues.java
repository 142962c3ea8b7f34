package dev.tether.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads the kernel's TCP tables (/proc/net/tcp and tcp6, Linux) to see how many received bytes the
 * application has not read yet on the connections of one local port. Zero means every byte the peers sent
 * was taken by the process: a test can then be sure the process saw them before it measures anything.
 */
public final class KernelQueues {
    private static final List<Path> TABLES = List.of(Path.of("/proc/net/tcp"), Path.of("/proc/net/tcp6"));
    private static final String ESTABLISHED = "01";

    private KernelQueues() {
    }

    public static boolean supported() {
        return Files.isReadable(TABLES.get(0));
    }

    /** Established connections whose local port is {@code port}, and their unread bytes, summed. */
    public record Unread(int connections, long bytes) { }

    public static Unread unreadOnLocalPort(int port) {
        String hexPort = String.format(":%04X", port);
        int connections = 0;
        long bytes = 0;
        for (Path table : TABLES) {
            List<String> lines;
            try {
                lines = Files.readAllLines(table);
            } catch (IOException e) {
                continue; // no IPv6 table
            }
            for (int i = 1; i < lines.size(); i++) {
                String[] f = lines.get(i).trim().split("\\s+");
                if (f.length < 5 || !f[1].endsWith(hexPort) || !f[3].equals(ESTABLISHED)) {
                    continue;
                }
                connections++;
                bytes += Long.parseLong(f[4].substring(f[4].indexOf(':') + 1), 16);
            }
        }
        return new Unread(connections, bytes);
    }
}
