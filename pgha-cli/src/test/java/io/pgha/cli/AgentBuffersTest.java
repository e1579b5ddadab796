package io.pgha.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** An agent without a router asks Netty for buffers per read, unless the operator chose an allocator. */
class AgentBuffersTest {
    private static final String ALLOCATOR = "io.netty.allocator.type";

    @Test
    void unpooledUnlessAnAllocatorWasChosen() {
        String before = System.getProperty(ALLOCATOR);
        try {
            System.clearProperty(ALLOCATOR);
            AgentCommand.unpooledBuffers();
            assertThat(System.getProperty(ALLOCATOR)).isEqualTo("unpooled");
            System.setProperty(ALLOCATOR, "pooled");
            AgentCommand.unpooledBuffers();
            assertThat(System.getProperty(ALLOCATOR))
                    .as("-D" + ALLOCATOR + " wins")
                    .isEqualTo("pooled");
        } finally {
            if (before == null) System.clearProperty(ALLOCATOR);
            else System.setProperty(ALLOCATOR, before);
        }
    }
}
