package dev.tether.cli;

/** Entry point of target/tether.jar: {@code java -jar target/tether.jar demo|blast|sink [options]}. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        System.out.println("tether: placeholder");
    }
}
