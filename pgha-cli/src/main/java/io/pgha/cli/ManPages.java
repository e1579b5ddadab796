package io.pgha.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * Man pages (troff, section 1) rendered from picocli's model of the commands: the same names,
 * options and descriptions as {@code --help}, so the pages cannot drift from the program. One page
 * per command, named after its path ({@code pgha-archive-push.1}). Plain man(7) macros only, which
 * every man implementation renders; no AsciiDoc step and no tool beyond the JVM at build time.
 */
public final class ManPages {
    private ManPages() {}

    /** Build step (pgha-cli/pom.xml): writes every page into the directory given as the only argument. */
    public static void main(String[] args) throws IOException {
        if (args.length != 1) throw new IllegalArgumentException("usage: ManPages DIR");
        List<Path> written = write(Main.commandLine(), Path.of(args[0]));
        System.out.println("pgha: " + written.size() + " man pages in " + args[0]);
    }

    /** Writes every page of the tree under {@code root} into {@code dir}; returns the files written. */
    static List<Path> write(CommandLine root, Path dir) throws IOException {
        Files.createDirectories(dir);
        List<Path> written = new ArrayList<>();
        for (Map.Entry<String, String> e : pages(root).entrySet()) {
            written.add(Files.writeString(dir.resolve(e.getKey()), e.getValue(), StandardCharsets.UTF_8));
        }
        return written;
    }

    /** File name to page, for {@code root} and every command below it, parents first. */
    static Map<String, String> pages(CommandLine root) {
        Map<String, String> out = new LinkedHashMap<>();
        for (CommandSpec s : commands(root)) out.put(fileName(s), page(s));
        return out;
    }

    /** {@code root} and every command below it, once each (aliases name the same command), parents first. */
    static List<CommandSpec> commands(CommandLine root) {
        List<CommandSpec> l = new ArrayList<>();
        collect(root, l, new IdentityHashMap<>());
        return l;
    }

    private static void collect(CommandLine cl, List<CommandSpec> into, Map<CommandLine, Boolean> seen) {
        if (seen.put(cl, Boolean.TRUE) != null) return;
        if (cl.getCommandSpec().usageMessage().hidden()) return;
        into.add(cl.getCommandSpec());
        for (CommandLine sub : cl.getSubcommands().values()) collect(sub, into, seen);
    }

    static String fileName(CommandSpec s) {
        return pageName(s) + ".1";
    }

    private static String pageName(CommandSpec s) {
        return s.qualifiedName("-");
    }

    /** One command's page. */
    static String page(CommandSpec s) {
        StringBuilder m = new StringBuilder();
        m.append(".\\\" Generated from pgha's command definitions (pgha man); do not edit.\n");
        m.append(".TH \"")
                .append(pageName(s).toUpperCase(Locale.ROOT))
                .append("\" \"1\" \"\" \"pgha ")
                .append(Version.current())
                .append("\" \"pgha manual\"\n");
        String[] description = s.usageMessage().description();
        m.append(".SH NAME\n")
                .append(esc(pageName(s)))
                .append(" \\- ")
                .append(esc(firstSentence(description)))
                .append('\n');

        m.append(".SH SYNOPSIS\n");
        String synopsis = synopsis(s);
        String name = s.qualifiedName(" ");
        m.append("\\fB").append(esc(name)).append("\\fR");
        if (synopsis.startsWith(name)) synopsis = synopsis.substring(name.length());
        m.append(esc(synopsis)).append('\n');

        if (description.length > 0) {
            m.append(".SH DESCRIPTION\n");
            paragraphs(m, description);
        }

        List<PositionalParamSpec> params = new ArrayList<>();
        for (PositionalParamSpec p : s.positionalParameters()) if (!p.hidden()) params.add(p);
        if (!params.isEmpty()) {
            m.append(".SH ARGUMENTS\n");
            for (PositionalParamSpec p : params) {
                m.append(".TP\n\\fI").append(esc(p.paramLabel())).append("\\fR\n");
                m.append(line(describe(p))).append('\n');
            }
        }

        List<OptionSpec> options = new ArrayList<>();
        for (OptionSpec o : s.options()) if (!o.hidden()) options.add(o);
        options.sort(Comparator.comparing(ManPages::sortKey));
        if (!options.isEmpty()) {
            m.append(".SH OPTIONS\n");
            for (OptionSpec o : options) {
                m.append(".TP\n").append(optionTerm(o)).append('\n');
                m.append(line(describe(o))).append('\n');
            }
        }

        List<CommandSpec> subs = subcommands(s);
        if (!subs.isEmpty()) {
            m.append(".SH COMMANDS\n");
            for (CommandSpec sub : subs) {
                m.append(".TP\n\\fB").append(esc(sub.name())).append("\\fR\n");
                m.append(line(firstSentence(sub.usageMessage().description())))
                        .append(" See \\fB")
                        .append(esc(pageName(sub)))
                        .append("\\fR(1).\n");
            }
        }

        String[] footer = s.usageMessage().footer();
        if (footer.length > 0 && String.join("", footer).strip().length() > 0) {
            m.append(".SH NOTES\n");
            paragraphs(m, footer);
        }
        if (s.parent() == null) {
            m.append(".SH ENVIRONMENT\n");
            m.append(".TP\n\\fBPGHA_CONFIG\\fR\n")
                    .append(line("The node config file of cluster commands when -c FILE is not given."))
                    .append('\n');
            m.append(".TP\n\\fBPGHA_\\fR\\fIKEY\\fR\n")
                    .append(line("Overrides a key of the node config (upper case, '__' between levels), e.g."
                            + " PGHA_POSTGRESQL__AUTHENTICATION__SUPERUSER__PASSWORD."))
                    .append('\n');
        }

        List<String> seeAlso = new ArrayList<>();
        if (s.parent() != null) seeAlso.add(pageName(s.parent()));
        for (CommandSpec sub : subs) seeAlso.add(pageName(sub));
        if (!seeAlso.isEmpty()) {
            m.append(".SH SEE ALSO\n");
            for (int i = 0; i < seeAlso.size(); i++) {
                m.append("\\fB")
                        .append(esc(seeAlso.get(i)))
                        .append("\\fR(1)")
                        .append(i < seeAlso.size() - 1 ? "," : "")
                        .append('\n');
            }
        }
        return m.toString();
    }

    private static List<CommandSpec> subcommands(CommandSpec s) {
        List<CommandSpec> l = new ArrayList<>();
        IdentityHashMap<CommandSpec, Boolean> seen = new IdentityHashMap<>();
        for (CommandLine sub : s.subcommands().values()) {
            CommandSpec c = sub.getCommandSpec();
            if (!c.usageMessage().hidden() && seen.put(c, Boolean.TRUE) == null) l.add(c);
        }
        return l;
    }

    /** The usage synopsis as {@code --help} prints it, on one line (troff fills it). */
    private static String synopsis(CommandSpec s) {
        CommandLine.Help help = new CommandLine.Help(s, CommandLine.Help.defaultColorScheme(CommandLine.Help.Ansi.OFF));
        return help.synopsis(0).strip().replaceAll("\\s+", " ");
    }

    /** {@code -c, --config=FILE} in bold and italics; {@code --[no-]progress} for negatable flags. */
    private static String optionTerm(OptionSpec o) {
        StringBuilder t = new StringBuilder();
        String[] names = o.names();
        for (int i = 0; i < names.length; i++) {
            String n = names[i];
            if (o.negatable() && n.startsWith("--")) n = "--[no-]" + n.substring(2);
            t.append(i == 0 ? "" : ", ").append("\\fB").append(esc(n)).append("\\fR");
        }
        var arity = o.arity();
        if (arity.max() > 0 && !o.usageHelp() && !o.versionHelp()) {
            String label = "\\fI" + esc(o.paramLabel()) + "\\fR";
            t.append(arity.min() == 0 ? "[=" + label + "]" : "=" + label);
            if (arity.max() > 1 || arity.isVariable()) t.append(" ...");
        }
        return t.toString();
    }

    private static String sortKey(OptionSpec o) {
        String longest = o.longestName().replaceFirst("^-+", "");
        return longest.toLowerCase(Locale.ROOT);
    }

    /** The description with picocli's variables filled in, as {@code --help} shows them. */
    private static String describe(ArgSpec a) {
        String d = String.join(" ", a.description());
        String dflt = a.defaultValueString();
        d = d.replace("${DEFAULT-VALUE}", dflt == null ? "" : dflt);
        if (a.completionCandidates() != null) {
            List<String> c = new ArrayList<>();
            a.completionCandidates().forEach(c::add);
            d = d.replace("${COMPLETION-CANDIDATES}", String.join(", ", c));
        }
        return d;
    }

    private static String firstSentence(String[] description) {
        if (description.length == 0) return "";
        String first = description[0].strip();
        return first.endsWith(".") ? first.substring(0, first.length() - 1) : first;
    }

    /**
     * Lines of a description: each its own paragraph, except lines indented by two spaces (examples,
     * as in {@code pgha completion}), which are kept as they are in a no-fill block.
     */
    private static void paragraphs(StringBuilder m, String[] lines) {
        boolean literal = false;
        for (String l : lines) {
            boolean indented = l.startsWith("  ");
            if (l.isBlank()) continue;
            if (indented && !literal) m.append(".PP\n.RS\n.nf\n");
            if (!indented && literal) m.append(".fi\n.RE\n");
            if (!indented) m.append(".PP\n");
            literal = indented;
            m.append(line(indented ? l.strip() : l)).append('\n');
        }
        if (literal) m.append(".fi\n.RE\n");
    }

    /** Text safe on a troff line of its own: escaped, and never read as a request. */
    static String line(String text) {
        String e = esc(text);
        return e.startsWith(".") || e.startsWith("'") ? "\\&" + e : e;
    }

    /** Escapes troff's escape character, and writes '-' as a minus sign so options copy as typed. */
    static String esc(String text) {
        return text.replace("\\", "\\e").replace("-", "\\-");
    }
}
