package io.pgha.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgha.core.config.NodeConfig;
import io.pgha.core.config.RouterConfig;
import io.pgha.testkit.FreePorts;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web dashboard in a real browser: headless Chromium from the OS packages ({@code chromium},
 * {@code chromium-driver}), driven by Selenium, against a 3-node demo cluster of real processes
 * with a router. The page, served by the primary's agent and opened with the demo's REST
 * credentials, shows the primary and the router; a switchover to a member that does not exist is
 * refused and the page says so; a switchover clicked and confirmed in the page makes another
 * member primary, and the page shows it without being reloaded.
 *
 * <p>The browser and its driver are the OS's binaries, named explicitly, so that Selenium never
 * looks for (or downloads) anything. Browser, router and cluster are stopped also when a step
 * fails, and no Chromium process is left behind.
 */
class DashboardIT {
    private static final File CHROMIUM = new File("/usr/bin/chromium");
    private static final File CHROMEDRIVER = new File("/usr/bin/chromedriver");
    private static final Path REPORT = Path.of("target", "dashboard-it");

    private static LocalCluster cluster;
    private static RunningRouter router;
    private static ChromeDriverService service;
    private static WebDriver browser;
    /** Chromium's and chromedriver's processes, seen while they ran: none may outlive the test. */
    private static final List<ProcessHandle> browserProcesses = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        try {
            cluster = ClusterFixture.start("dashboard", 3, null, null);
            ClusterFixture.awaitHealthy(cluster, 3);
            router = startRouter();
            System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.getPath());
            service = new ChromeDriverService.Builder()
                    .usingDriverExecutable(CHROMEDRIVER)
                    .usingAnyFreePort()
                    .build();
            ChromeOptions options = new ChromeOptions();
            options.setBinary(CHROMIUM);
            options.addArguments(
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-dev-shm-usage",
                    "--disable-gpu",
                    "--window-size=1280,1600",
                    "--no-first-run",
                    "--disable-extensions");
            browser = new ChromeDriver(service, options);
            ProcessHandle.current()
                    .descendants()
                    .filter(p -> p.info().command().orElse("").contains("chrom"))
                    .forEach(browserProcesses::add);
        } catch (Throwable e) {
            stop();
            throw e;
        }
    }

    /** A router in this JVM, like the demo's, following the cluster through node 1's DCS settings. */
    private static RunningRouter startRouter() throws Exception {
        NodeConfig n = io.pgha.agent.ConfigLoader.load(cluster.config(1));
        int port = FreePorts.block(2);
        return RunningRouter.start(
                n.cluster(),
                n.dcs(),
                new RouterConfig(
                        "dashboard-router",
                        "127.0.0.1",
                        port,
                        port + 1,
                        16L * 1024 * 1024,
                        true,
                        10_000,
                        10_000,
                        RouterConfig.DEFAULT_MAX_MESSAGE_SIZE,
                        null,
                        null,
                        "127.0.0.1",
                        0));
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (browser != null) browser.quit();
        } catch (RuntimeException e) {
            System.out.println("closing the browser: " + e);
        } finally {
            browser = null;
            if (service != null) service.stop();
            if (router != null) router.close();
            ClusterFixture.stop(cluster);
            cluster = null;
        }
        List<ProcessHandle> left = new ArrayList<>();
        for (ProcessHandle p : browserProcesses) {
            try {
                p.onExit().get(15, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                left.add(p);
                p.destroyForcibly();
            }
        }
        assertThat(left)
                .as("browser processes still running after quit (now killed)")
                .isEmpty();
    }

    private static String page(int node) {
        // The browser takes the credentials from the address for the page and, for the realm it
        // then knows, for the page's own calls (the page builds its URLs from location.origin).
        return "http://admin:" + cluster.apiPassword() + "@127.0.0.1:" + cluster.apiPort(node) + "/ui/";
    }

    private static WebDriverWait waiting(int seconds) {
        WebDriverWait w = new WebDriverWait(browser, Duration.ofSeconds(seconds), Duration.ofMillis(200));
        w.ignoring(StaleElementReferenceException.class);
        return w;
    }

    private static String text(String id) {
        return browser.findElement(By.id(id)).getText();
    }

    @Test
    void thePageShowsThePrimaryAndASwitchoverClickedThereWithoutAReload() throws Exception {
        long started = System.nanoTime();
        String leader = ClusterFixture.leader(cluster);
        try {
            browser.get(page(ClusterFixture.index(leader)));
            waiting(30).until(ExpectedConditions.textToBe(By.id("leader"), leader));
            waiting(10)
                    .until(ExpectedConditions.presenceOfElementLocated(
                            By.cssSelector("[data-member='" + leader + "'][data-role='primary']")));
            for (int i = 1; i <= 3; i++) {
                String name = cluster.nodeName(i);
                if (name.equals(leader)) continue;
                waiting(30)
                        .until(ExpectedConditions.presenceOfElementLocated(
                                By.cssSelector("[data-member='" + name + "'][data-role='standby']")));
            }
            waiting(30).until(ExpectedConditions.textToBePresentInElementLocated(By.id("routers"), "dashboard-router"));
            assertThat(text("conn")).startsWith("live");
            ((JavascriptExecutor) browser).executeScript("window.pghaSamePage = 'still';");

            // Refused: a switchover to a member that does not exist (an option the page would
            // never offer, added here) comes back 409, and the page shows the agent's reason.
            browser.findElement(By.id("switchover")).click();
            waiting(10).until(ExpectedConditions.visibilityOfElementLocated(By.id("confirm-ok")));
            ((JavascriptExecutor) browser)
                    .executeScript("const s = document.getElementById('switchover-candidate');"
                            + " const o = document.createElement('option'); o.value = 'node9'; o.textContent = 'node9';"
                            + " s.append(o); s.value = 'node9';");
            browser.findElement(By.id("confirm-ok")).click();
            waiting(20)
                    .until(ExpectedConditions.textToBePresentInElementLocated(
                            By.cssSelector("#message.error"), "refused (409)"));
            assertThat(text("message-text")).contains("no member named 'node9'");
            assertThat(ClusterFixture.leader(cluster)).isEqualTo(leader);

            // The switchover, to whichever standby the agents find best.
            browser.findElement(By.id("switchover")).click();
            waiting(10).until(ExpectedConditions.visibilityOfElementLocated(By.id("confirm-ok")));
            new Select(browser.findElement(By.id("switchover-candidate"))).selectByValue("");
            browser.findElement(By.id("confirm-ok")).click();
            waiting(20)
                    .until(ExpectedConditions.textMatches(
                            By.cssSelector("#message.ok #message-text"),
                            java.util.regex.Pattern.compile("switchover to node\\d requested")));
            String shown = waiting(120).until(d -> {
                String now = d.findElement(By.id("leader")).getText();
                if (now.isBlank() || now.equals(leader) || now.equals("none") || now.equals("…")) return null;
                List<WebElement> card =
                        d.findElements(By.cssSelector("[data-member='" + now + "'][data-role='primary']"));
                return card.isEmpty() ? null : now;
            });
            assertThat(shown).isEqualTo(ClusterFixture.leader(cluster));
            assertThat(((JavascriptExecutor) browser).executeScript("return window.pghaSamePage"))
                    .as("the same page, never reloaded")
                    .isEqualTo("still");
            waiting(30)
                    .until(ExpectedConditions.textToBePresentInElementLocated(
                            By.id("history"), "switchover from " + leader));
            System.out.println("DashboardIT: " + leader + " -> " + shown + " seen in the page after "
                    + (System.nanoTime() - started) / 1_000_000 + " ms from opening it");
        } catch (Throwable e) {
            keepEvidence();
            throw e;
        }
    }

    /** The page as it was (screenshot and DOM) under target/dashboard-it/, for a failed run. */
    private static void keepEvidence() {
        try {
            Files.createDirectories(REPORT);
            Files.write(REPORT.resolve("page.png"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
            Files.writeString(REPORT.resolve("page.html"), browser.getPageSource(), StandardCharsets.UTF_8);
            System.out.println("DashboardIT: the page at the failure is in " + REPORT.toAbsolutePath());
        } catch (Exception e) {
            System.out.println("DashboardIT: cannot keep the page: " + e);
        }
    }
}
