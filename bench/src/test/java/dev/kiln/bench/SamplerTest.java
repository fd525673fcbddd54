package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The warm-up's watch on the JIT: quiet only after calls during which nothing was compiled. */
class SamplerTest {
    @Test
    void withoutAJitClockTheWatchIsAlwaysQuiet() {
        assertTrue(new Sampler.JitWatch(null).quiet());
    }

    @Test
    void compilingKeepsTheWatchBusyUntilCallsAndTimePassWithoutIt() throws InterruptedException {
        AtomicLong compiled = new AtomicLong();
        Sampler.JitWatch watch = new Sampler.JitWatch(compiled::get);
        for (int i = 0; i < 10; i++) {
            compiled.addAndGet(5);
            watch.afterCall();
            assertFalse(watch.quiet(), "compiling during call " + i);
        }
        for (int i = 0; i < Sampler.JitWatch.QUIET_CALLS; i++) watch.afterCall();
        Thread.sleep(Sampler.JitWatch.QUIET_MILLIS + 50);
        assertTrue(watch.quiet(), "no compilation for " + Sampler.JitWatch.QUIET_CALLS + " calls and " + Sampler.JitWatch.QUIET_MILLIS + " ms");
        compiled.addAndGet(1);
        watch.afterCall();
        assertFalse(watch.quiet(), "a new compilation resets the watch");
    }

    @Test
    void aFewCallsWithoutCompilingAreNotEnoughOnTheirOwn() {
        AtomicLong compiled = new AtomicLong(100);
        Sampler.JitWatch watch = new Sampler.JitWatch(compiled::get);
        watch.afterCall();
        assertFalse(watch.quiet(), "one call");
    }

    @Test
    void measuresEveryOpAndReportsItsSamples() throws Exception {
        AtomicLong calls = new AtomicLong();
        Sampler.Result r = new Sampler(0.05, null).measure(calls::incrementAndGet);
        assertTrue(r.stats().samples() >= 5, "samples " + r.stats().samples());
        assertTrue(calls.get() >= 1 + 2 + r.stats().samples(), "first call, two warm-up calls and the samples: " + calls.get());
    }
}
