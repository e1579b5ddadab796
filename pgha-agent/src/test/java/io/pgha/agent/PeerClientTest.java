package io.pgha.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgha.core.config.ApiListener;
import io.pgha.core.config.Credentials;
import io.pgha.core.model.Lsn;
import io.pgha.core.model.Member;
import io.pgha.core.model.MemberState;
import io.pgha.core.model.Role;
import io.pgha.core.model.Tags;
import io.pgha.http.BasicAuth;
import io.pgha.http.HttpServer;
import io.pgha.http.Response;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Failsafe confirmations count only when they come from the member asked, and never when nobody was asked. */
class PeerClientTest {
    private static final Credentials AUTH = new Credentials("admin", "pw");
    private HttpServer peers;
    private final java.util.concurrent.CountDownLatch selfAsked = new java.util.concurrent.CountDownLatch(1);

    /**
     * Stands in for several members at once, one per path prefix: /good confirms as "good", /liar
     * says 200 but names another member, /refuses answers 409, /bare answers 200 with no body, /html
     * 200 with a page, /unauth demands credentials the call does not carry.
     */
    @BeforeEach
    void startPeers() throws Exception {
        peers = HttpServer.start("peers", "127.0.0.1", 0, ApiListener.PLAIN, 4096, r -> {
            if (r.path().equals("/self/status")) selfAsked.countDown();
            return CompletableFuture.completedFuture(
                    !BasicAuth.matches(r.header("Authorization"), AUTH)
                            ? Response.error(401, "who are you")
                            : switch (r.path()) {
                                case "/good/failsafe" -> json(200, "{\"accepted\":true,\"member\":\"good\"}");
                                case "/liar/failsafe" -> json(200, "{\"accepted\":true,\"member\":\"someone-else\"}");
                                case "/refuses/failsafe" -> json(409, "{\"accepted\":false,\"member\":\"refuses\"}");
                                case "/bare/failsafe" -> json(200, "");
                                case "/html/failsafe" -> Response.text(200, "text/html", "<html>ok</html>");
                                default -> Response.error(404, "no");
                            });
        });
    }

    @AfterEach
    void stopPeers() {
        peers.close();
    }

    private static Response json(int status, String body) {
        return Response.json(status, body.getBytes(StandardCharsets.UTF_8));
    }

    private Member member(String name) {
        return member(name, "http://127.0.0.1:" + peers.port() + "/" + name);
    }

    private static Member member(String name, String apiUrl) {
        return new Member(
                name,
                apiUrl,
                "127.0.0.1",
                5432,
                Role.STANDBY,
                MemberState.RUNNING,
                1,
                Lsn.ZERO,
                Lsn.ZERO,
                "n1",
                true,
                Tags.NONE,
                "",
                0L);
    }

    @Test
    void onlyTheMemberAskedCanConfirm() {
        List<Member> asked = List.of(
                member("good"), member("liar"), member("refuses"), member("bare"), member("html"), member("gone"));
        Set<String> ok = new PeerClient().confirmLeader(asked, "n1", AUTH, 1000);
        assertThat(ok).containsExactly("good");
        assertThat(Failsafe.everyoneConfirmed(asked, ok)).isFalse();
        assertThat(Failsafe.everyoneConfirmed(List.of(member("good")), ok)).isTrue();
    }

    @Test
    void theWarmUpAsksThisMembersOwnStatusWithoutWaiting() throws Exception {
        new PeerClient().warmUp(member("self"));
        assertThat(selfAsked.await(10, java.util.concurrent.TimeUnit.SECONDS))
                .as("GET /status of the member's own api_url")
                .isTrue();
        new PeerClient().warmUp(member("self", null)); // nothing to ask: no error
    }

    @Test
    void withoutCredentialsNobodyConfirms() {
        assertThat(new PeerClient().confirmLeader(List.of(member("good")), "n1", null, 1000))
                .isEmpty();
    }

    @Test
    void nobodyAskedIsNotEveryoneConfirmed() {
        assertThat(Failsafe.everyoneConfirmed(List.of(), Set.of())).isFalse();
        assertThat(Failsafe.everyoneConfirmed(List.of(), Set.of("good"))).isFalse();
        assertThat(Failsafe.everyoneConfirmed(List.of(member("a"), member("b")), Set.of("a", "c")))
                .as("c was not asked")
                .isFalse();
        assertThat(Failsafe.everyoneConfirmed(List.of(member("a"), member("b")), Set.of("a", "b")))
                .isTrue();
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "{\"accepted\":true,\"member\":\"n2\"}    | true",
                "{\"member\":\"n2\",\"accepted\":true}    | true",
                "{\"accepted\":false,\"member\":\"n2\"}   | false",
                "{\"accepted\":\"true\",\"member\":\"n2\"}| false",
                "{\"accepted\":true,\"member\":\"n3\"}    | false",
                "{\"accepted\":true}                      | false",
                "{\"accepted\":true,\"member\":null}      | false",
                "[true]                                   | false",
                "not json                                 | false",
                "''                                       | false",
            })
    void aConfirmationIsAcceptedTrueNamingTheMemberAsked(String body, boolean confirms) {
        assertThat(PeerClient.confirms(body.getBytes(StandardCharsets.UTF_8), "n2"))
                .isEqualTo(confirms);
    }
}
