package io.pgha.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Blocks picked one after the other, before anything listens on them, never overlap. */
class FreePortsTest {
    @Test
    void blocksHandedOutInOneJvmNeverShareAPort() {
        Set<Integer> seen = new HashSet<>();
        for (int n = 0; n < 50; n++) {
            int pg = FreePorts.block(3);
            int api = FreePorts.block(3);
            int zk = FreePorts.block(3, 100, 200);
            for (int i = 0; i < 3; i++) {
                assertThat(seen.add(pg + i)).as("port %d given twice", pg + i).isTrue();
                assertThat(seen.add(api + i)).as("port %d given twice", api + i).isTrue();
                for (int o : new int[] {0, 100, 200})
                    assertThat(seen.add(zk + o + i))
                            .as("port %d given twice", zk + o + i)
                            .isTrue();
            }
        }
    }
}
