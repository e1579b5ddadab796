package io.pgha.dcs;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgha.core.config.Credentials;
import io.pgha.core.config.DcsConfig;
import java.util.List;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.junit.jupiter.api.Test;

/** The ACLs pgha gives its nodes, and which ACLs found on a node it may replace. */
class ZooKeeperAccessTest {
    private static final Credentials PGHA = new Credentials("pgha", "pgha-password-1");
    private static final DcsConfig.Reader OPS = new DcsConfig.Reader("ops", "ops-password-1", null);
    private static final DcsConfig.Reader MONITOR =
            new DcsConfig.Reader("monitor", null, ZooKeeperAccess.digest("monitor", "monitor-password-1"));
    private static final ZooKeeperAccess ACCESS = ZooKeeperAccess.of(PGHA, null, List.of(OPS, MONITOR));

    private static ACL read(String user, String password) {
        return new ACL(ZooDefs.Perms.READ, new Id("digest", user + ":" + ZooKeeperAccess.digest(user, password)));
    }

    @Test
    void theDigestIsZooKeepersSha1OfUserAndPassword() {
        // base64(sha1("monitor:monitor-password-1")), as ZooKeeper's DigestAuthenticationProvider stores it
        assertThat(ZooKeeperAccess.digest("monitor", "monitor-password-1")).isEqualTo("XbplsSBRywAdONR1qsFvEPIKeqM=");
        assertThat(ZooKeeperAccess.readerId(MONITOR))
                .isEqualTo(ZooKeeperAccess.readerId(new DcsConfig.Reader("monitor", "monitor-password-1", null)));
    }

    @Test
    void readersReadTheClusterAndNothingAboveIt() {
        ACL owner = new ACL(ZooDefs.Perms.ALL, ZooKeeperAccess.digestId(PGHA));
        assertThat(ACCESS.acl())
                .containsExactly(owner, read("ops", "ops-password-1"), read("monitor", "monitor-password-1"));
        assertThat(ACCESS.ownerAcl()).containsExactly(owner);
        assertThat(ACCESS.aclFor("/pgha/main", "/pgha/main")).isEqualTo(ACCESS.acl());
        assertThat(ACCESS.aclFor("/pgha/main/members/db1", "/pgha/main")).isEqualTo(ACCESS.acl());
        assertThat(ACCESS.aclFor("/pgha", "/pgha/main")).isEqualTo(ACCESS.ownerAcl());
        assertThat(ACCESS.aclFor("/pgha/main2", "/pgha/main")).isEqualTo(ACCESS.ownerAcl());
        // without dcs.auth every node is open, readers or not
        assertThat(ZooKeeperAccess.of(null, null, List.of(OPS))).isSameAs(ZooKeeperAccess.OPEN);
    }

    @Test
    void onlyOpenNodesAndPghasOwnShapeAreReplaced() {
        ACL owner = new ACL(ZooDefs.Perms.ALL, ZooKeeperAccess.digestId(PGHA));
        assertThat(ACCESS.replaceable(ZooDefs.Ids.OPEN_ACL_UNSAFE))
                .as("open to all")
                .isTrue();
        assertThat(ACCESS.replaceable(List.of(owner))).as("pgha alone").isTrue();
        assertThat(ACCESS.replaceable(List.of(owner, read("former", "former-password"))))
                .as("pgha and a former reader")
                .isTrue();
        assertThat(ACCESS.replaceable(
                        List.of(owner, new ACL(ZooDefs.Perms.READ | ZooDefs.Perms.WRITE, new Id("digest", "x:y")))))
                .as("another identity may write: an operator's")
                .isFalse();
        assertThat(ACCESS.replaceable(List.of(owner, new ACL(ZooDefs.Perms.READ, new Id("ip", "10.0.0.0/8")))))
                .as("another scheme: an operator's")
                .isFalse();
        assertThat(ACCESS.replaceable(List.of(read("ops", "ops-password-1"))))
                .as("without pgha's identity")
                .isFalse();
    }
}
