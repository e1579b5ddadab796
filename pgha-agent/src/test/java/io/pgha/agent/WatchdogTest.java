package io.pgha.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgha.core.config.WatchdogConfig;
import io.pgha.core.config.WatchdogConfig.Mode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The watchdog against a stand-in file (never a real /dev/watchdog: that would reset this machine). */
class WatchdogTest {
    @TempDir
    Path dir;

    @Test
    void armFeedAndDisarmReachTheDeviceInOrder() throws Exception {
        Path dev = Files.createFile(dir.resolve("wd"));
        Watchdog w = new Watchdog(new WatchdogConfig(Mode.REQUIRED, dev.toString(), 1));
        assertThat(w.status()).startsWith("ready");
        assertThat(w.blocksPromotion()).isNull();
        w.feed();
        assertThat(Files.readString(dev)).as("never fed before it is armed").isEmpty();
        assertThat(w.arm()).isTrue();
        assertThat(w.arm()).as("arming twice does not feed").isTrue();
        w.feed();
        w.feed();
        assertThat(w.status()).startsWith("armed");
        w.disarm();
        w.disarm();
        assertThat(Files.readString(dev)).isEqualTo("!..V");
        assertThat(w.armed()).isFalse();
    }

    @Test
    void offTouchesNothing() throws Exception {
        Path dev = Files.createFile(dir.resolve("wd"));
        Watchdog w = new Watchdog(new WatchdogConfig(Mode.OFF, dev.toString(), 1));
        assertThat(w.arm()).isTrue();
        w.feed();
        w.disarm();
        assertThat(Files.readString(dev)).isEmpty();
        assertThat(w.status()).isEqualTo("off");
    }

    @Test
    void aMissingDeviceBlocksPromotionOnlyWhenRequired() {
        String missing = dir.resolve("nope").toString();
        Watchdog required = new Watchdog(new WatchdogConfig(Mode.REQUIRED, missing, 1));
        assertThat(required.status()).contains("does not exist");
        assertThat(required.blocksPromotion()).contains("watchdog is required but", "does not exist");
        assertThat(required.arm()).isFalse();
        Watchdog automatic = new Watchdog(new WatchdogConfig(Mode.AUTOMATIC, missing, 1));
        assertThat(automatic.blocksPromotion()).isNull();
        assertThat(automatic.arm()).as("automatic carries on without it").isTrue();
        assertThat(automatic.status()).startsWith("unavailable");
        assertThat(required.status())
                .as("published: the others' leader race passes this member over")
                .startsWith(io.pgha.core.model.Member.WATCHDOG_BLOCKS);
        assertThat(automatic.status()).doesNotStartWith(io.pgha.core.model.Member.WATCHDOG_BLOCKS);
    }
}
