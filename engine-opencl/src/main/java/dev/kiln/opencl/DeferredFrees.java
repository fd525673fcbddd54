package dev.kiln.opencl;

import static org.lwjgl.opencl.CL10.*;

import java.util.ArrayDeque;
import java.util.function.Consumer;
import org.lwjgl.PointerBuffer;
import org.lwjgl.system.MemoryStack;

/**
 * Buffers freed while work that uses them may still be queued. A free enqueues a marker event on
 * the freeing thread's queue; the block goes back to the caching allocator only once that event has
 * completed, so another thread's queue can never reuse memory a kernel is still reading.
 */
final class DeferredFrees {
    private record Pending(ClBuffer buffer, long event) {}

    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    private final Consumer<ClBuffer> release;

    DeferredFrees(Consumer<ClBuffer> release) { this.release = release; }

    void free(ClBuffer buffer, ExecContext ctx) {
        long event;
        try (MemoryStack stack = MemoryStack.stackPush()) {
            PointerBuffer ev = stack.mallocPointer(1);
            ClErrors.check(clEnqueueMarker(ctx.queue, ev), "clEnqueueMarker");
            ClErrors.check(clFlush(ctx.queue), "clFlush");
            event = ev.get(0);
        }
        synchronized (this) {
            pending.addLast(new Pending(buffer, event));
        }
        reclaim(false);
    }

    /** Hands completed frees to the allocator; with {@code wait}, waits for every pending one first. */
    void reclaim(boolean wait) {
        while (true) {
            Pending p;
            synchronized (this) {
                p = pending.peekFirst();
                if (p == null) return;
                if (!wait && !complete(p.event)) return;
                pending.pollFirst();
            }
            if (wait) ClErrors.check(clWaitForEvents(p.event), "clWaitForEvents");
            clReleaseEvent(p.event);
            release.accept(p.buffer);
        }
    }

    private static boolean complete(long event) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            var status = stack.mallocInt(1);
            ClErrors.check(clGetEventInfo(event, CL_EVENT_COMMAND_EXECUTION_STATUS, status, null), "clGetEventInfo");
            if (status.get(0) < 0) return true;   // failed command: the buffer is no longer in use either way
            return status.get(0) == CL_COMPLETE;
        }
    }
}
