package dev.tether.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void writesNestedObjectsAndArraysOnOneLine() {
        String json = new Json().beginObject()
                .field("ok", true)
                .field("n", 3)
                .field("rate", 2.5)
                .field("whole", 4.0)
                .name("peers").beginArray()
                .beginObject().field("address", "127.0.0.1:7000").endObject()
                .beginObject().field("address", "[::1]:7000").endObject()
                .endArray()
                .name("empty").beginArray().endArray()
                .field("none", (String) null)
                .endObject().toString();
        assertEquals("{\"ok\":true,\"n\":3,\"rate\":2.5,\"whole\":4,\"peers\":[{\"address\":\"127.0.0.1:7000\"},"
                + "{\"address\":\"[::1]:7000\"}],\"empty\":[],\"none\":null}", json);
    }

    @Test
    void escapesStrings() {
        assertEquals("[\"a\\\"b\\\\c\\nd\\u0001\",null]",
                new Json().beginArray().value("a\"b\\c\nd\u0001").value(Double.NaN).endArray().toString());
    }
}
