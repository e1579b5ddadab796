package io.pgha.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class PostmasterWatchTest {
    @Test
    void wakesTheAgentOnceWhenThePostmasterIsGoneOrReplaced() {
        AtomicLong pid = new AtomicLong(-1);
        AtomicInteger wakes = new AtomicInteger();
        PostmasterWatch w = new PostmasterWatch(pid::get, wakes::incrementAndGet);
        w.check(); // nothing running: nothing to report
        pid.set(4242);
        w.check(); // started: no wake-up
        w.check();
        assertThat(wakes).hasValue(0);
        pid.set(-1);
        w.check(); // crashed
        assertThat(wakes).hasValue(1);
        w.check(); // still gone: once is enough
        assertThat(wakes).hasValue(1);
        pid.set(4300);
        w.check();
        pid.set(4400); // gone and another one started between two looks
        w.check();
        assertThat(wakes).hasValue(2);
    }

    @Test
    void whileThePostmasterRunsOnlyItsLivenessIsAsked() {
        AtomicLong pid = new AtomicLong(4242);
        AtomicInteger pidReads = new AtomicInteger();
        java.util.Set<Long> running = new java.util.HashSet<>(java.util.List.of(4242L));
        AtomicInteger wakes = new AtomicInteger();
        PostmasterWatch w = new PostmasterWatch(
                () -> {
                    pidReads.incrementAndGet();
                    return pid.get();
                },
                running::contains,
                p -> null,
                wakes::incrementAndGet);
        w.check();
        for (int i = 0; i < 10; i++) w.check();
        assertThat(pidReads).as("postmaster.pid read once, then only /proc").hasValue(1);
        running.clear();
        pid.set(-1);
        w.check();
        assertThat(wakes).hasValue(1);
    }

    @Test
    void whileThePostmasterRunsTheWatchWaitsOnItsExitWithoutLooking() throws Exception {
        AtomicLong pid = new AtomicLong(4242);
        AtomicInteger looks = new AtomicInteger();
        AtomicInteger wakes = new AtomicInteger();
        java.util.concurrent.CountDownLatch exited = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch waiting = new java.util.concurrent.CountDownLatch(1);
        io.pgha.postgres.Processes.Exit exit = new io.pgha.postgres.Processes.Exit() {
            @Override
            public boolean await(int timeoutMs) throws InterruptedException {
                waiting.countDown();
                return exited.await(timeoutMs, java.util.concurrent.TimeUnit.MILLISECONDS);
            }

            @Override
            public void close() {}
        };
        PostmasterWatch w = new PostmasterWatch(
                pid::get,
                p -> {
                    looks.incrementAndGet();
                    return p == pid.get();
                },
                p -> p == 4242 ? exit : null,
                wakes::incrementAndGet);
        w.start();
        try {
            assertThat(waiting.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            int before = looks.get();
            // no look at the postmaster while waiting on its exit: polling would have looked ten times
            org.awaitility.Awaitility.await()
                    .during(java.time.Duration.ofMillis(10 * PostmasterWatch.PERIOD_MS))
                    .atMost(java.time.Duration.ofSeconds(5))
                    .until(looks::get, n -> n == before);
            assertThat(wakes).hasValue(0);
            pid.set(-1);
            exited.countDown();
            org.awaitility.Awaitility.await()
                    .atMost(java.time.Duration.ofSeconds(10))
                    .untilAsserted(() -> assertThat(wakes).hasValue(1));
        } finally {
            w.close();
        }
    }
}
