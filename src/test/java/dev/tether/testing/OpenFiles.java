package dev.tether.testing;

import java.io.File;

/** Counts this process's open file descriptors (Linux), to catch leaked sockets. */
public final class OpenFiles {
    private OpenFiles() {
    }

    /** True where /proc/self/fd exists. */
    public static boolean supported() {
        return new File("/proc/self/fd").isDirectory();
    }

    public static int count() {
        String[] fds = new File("/proc/self/fd").list();
        return fds == null ? -1 : fds.length;
    }
}
