package dev.kiln.models.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProgressTest {
    @Test
    void plainLinesEveryTenthOfAnEpochWhenNotATerminal() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Progress p = new Progress(new PrintStream(bytes, true, StandardCharsets.UTF_8), false, 3, 20, "loss");
        p.startEpoch();
        for (int b = 1; b <= 20; b++) p.batch(2, b, 1.5, b * 8L);
        String[] lines = bytes.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals(10, lines.length);
        assertTrue(lines[9].matches("epoch 2/3 batch 20/20 loss 1\\.5000 \\d+ ex/s 0:00 left"), lines[9]);
        assertTrue(!bytes.toString(StandardCharsets.UTF_8).contains("\r"));
    }

    @Test
    void aTerminalGetsOneBarRedrawnInPlace() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Progress p = new Progress(new PrintStream(bytes, true, StandardCharsets.UTF_8), true, 1, 4, "bits/char");
        p.startEpoch();
        for (int b = 1; b <= 4; b++) p.batch(1, b, 2.0, b);
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(out.startsWith("\repoch 1/1 ["), out);
        assertTrue(out.contains("[########################] 4/4 bits/char 2.0000"), out);
        assertTrue(out.endsWith("\n") && out.indexOf('\n') == out.length() - 1, "one line, ended once: " + out);
        assertEquals("1:01:01", Progress.clock(3661));
        assertEquals("2:05", Progress.clock(125));
    }
}
