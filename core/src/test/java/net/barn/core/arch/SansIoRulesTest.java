package net.barn.core.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaCall;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.base.DescribedPredicate;
import org.junit.jupiter.api.Test;

/**
 * The core is sans-IO: protocol logic may not touch sockets, files, threads, clocks or
 * unseeded randomness. Time and entropy are injected. This test fails the build otherwise.
 */
class SansIoRulesTest {
    private static final JavaClasses CORE = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("net.barn.core");

    private static void check(ArchRule rule) {
        rule.check(CORE);
    }

    @Test
    void coreOpensNoSocketsChannelsOrFiles() {
        check(noClasses().that().resideInAPackage("net.barn.core..")
                .should().dependOnClassesThat().resideInAnyPackage("java.nio.channels..", "java.nio.file..", "io.netty..")
                .orShould().dependOnClassesThat().haveNameMatching(
                        "java\\.net\\.(Socket|ServerSocket|DatagramSocket|MulticastSocket|URL|URLConnection|HttpURLConnection|InetAddress|Inet4Address|Inet6Address|InetSocketAddress)")
                .orShould().dependOnClassesThat().haveNameMatching("java\\.io\\.(File|FileInputStream|FileOutputStream|RandomAccessFile|FileReader|FileWriter)")
                .because("protocol logic is driven by the daemon or the simulator, never by the network or disk itself"));
    }

    @Test
    void coreStartsNoThreadsAndUsesNoExecutors() {
        check(noClasses().that().resideInAPackage("net.barn.core..")
                .should().dependOnClassesThat().haveNameMatching(
                        "java\\.lang\\.(Thread|ThreadGroup|VirtualThread)|java\\.util\\.(Timer|TimerTask)|java\\.util\\.concurrent\\.(Executor.*|ScheduledExecutorService|ForkJoinPool|CompletableFuture|ThreadPoolExecutor|Executors)")
                .because("one driver thread owns each state machine; concurrency belongs to the daemon"));
    }

    @Test
    void coreReadsNoClocks() {
        check(noClasses().that().resideInAPackage("net.barn.core..")
                .should().callMethodWhere(target("java.lang.System", "nanoTime", "currentTimeMillis"))
                .orShould().callMethodWhere(target("java.time.Instant", "now"))
                .orShould().callMethodWhere(target("java.time.LocalDateTime", "now"))
                .orShould().callMethodWhere(target("java.time.ZonedDateTime", "now"))
                .orShould().callMethodWhere(target("java.time.OffsetDateTime", "now"))
                .orShould().callMethodWhere(target("java.time.LocalDate", "now"))
                .orShould().callMethodWhere(target("java.time.Clock", "systemUTC", "systemDefaultZone", "millis", "instant"))
                .because("time enters the core only as nowNanos arguments"));
    }

    @Test
    void coreUsesNoUnseededRandomness() {
        check(noClasses().that().resideInAPackage("net.barn.core..")
                .should().dependOnClassesThat().haveFullyQualifiedName("java.util.concurrent.ThreadLocalRandom")
                .orShould().callMethodWhere(target("java.lang.Math", "random"))
                .orShould().callMethodWhere(target("java.util.UUID", "randomUUID"))
                .orShould().callMethodWhere(target("java.security.SecureRandom", "getInstance", "getInstanceStrong"))
                .orShould().callConstructorWhere(constructor("java.util.Random", 0))
                .orShould().callConstructorWhere(constructor("java.security.SecureRandom", 0))
                .orShould().callConstructorWhere(constructor("java.security.SecureRandom", 1))
                .because("randomness is injected: a seeded generator in tests and simulations, the system source in the daemon"));
    }

    private static DescribedPredicate<JavaCall<?>> target(String owner, String... names) {
        java.util.Set<String> set = java.util.Set.of(names);
        return DescribedPredicate.describe(owner + "." + String.join("|", names),
                call -> call.getTargetOwner().getFullName().equals(owner) && set.contains(call.getTarget().getName()));
    }

    private static DescribedPredicate<JavaCall<?>> constructor(String owner, int parameterCount) {
        return DescribedPredicate.describe("new " + owner + " with " + parameterCount + " parameters",
                call -> call.getTargetOwner().getFullName().equals(owner)
                        && call.getTarget().getName().equals("<init>")
                        && call.getTarget().getRawParameterTypes().size() == parameterCount);
    }
}
