package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void writesNestedValues() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", "gemm \"512\"\n");
        m.put("n", 3);
        m.put("x", 1.5);
        m.put("whole", 2.0);
        m.put("missing", Double.NaN);
        m.put("ok", true);
        m.put("none", null);
        m.put("sizes", List.of(1, 2));
        m.put("rows", List.of(Map.of("a", 1)));
        m.put("empty", new ArrayList<>());
        String expected = """
                {
                  "name": "gemm \\"512\\"\\n",
                  "n": 3,
                  "x": 1.5,
                  "whole": 2,
                  "missing": null,
                  "ok": true,
                  "none": null,
                  "sizes": [1, 2],
                  "rows": [
                    {
                      "a": 1
                    }
                  ],
                  "empty": []
                }
                """;
        assertEquals(expected, Json.write(m));
    }

    @Test
    void readsWhatItWrites() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("s", "tab\t \"quoted\" \\ \u0001 é");
        m.put("x", -1.25e-3);
        m.put("n", 42.0);
        m.put("list", List.of(1.0, "two", true, false));
        m.put("nothing", null);
        m.put("nested", List.of(Map.of("k", List.of())));
        assertEquals(m, Json.parse(Json.write(m)));
    }

    @Test
    void malformedInputNamesTheOffset() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Json.parse("{\"a\": [1, 2}"));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("offset 11"), e.getMessage());
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> Json.parse("[1] x"));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> Json.parse("\"open"));
    }

    @Test
    void escapesControlCharacters() {
        assertEquals("\"a\\u0001b\\\\\"\n", Json.write("a\u0001b\\"));
    }
}
