package io.pgha.agent.resource;

import java.io.IOException;
import java.io.StringReader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.ErrorHandler;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;

/**
 * What a resource agent says about itself in its {@code meta-data} XML: its parameters and the
 * actions it implements with their advised timeouts.
 *
 * <p>{@code version} is the agent's own version (the {@code version} attribute of {@code
 * resource-agent}, else the {@code <version>} element, which OCF 1.1 uses for the API version).
 */
public record OcfMetadata(
        String name,
        String version,
        String shortDesc,
        String longDesc,
        List<Parameter> parameters,
        List<Action> actions) {

    public OcfMetadata {
        parameters = List.copyOf(parameters);
        actions = List.copyOf(actions);
    }

    /** One parameter; {@code type} and {@code defaultValue} come from its {@code content} element (null when absent). */
    public record Parameter(
            String name, boolean required, boolean unique, String type, String defaultValue, String shortDesc) {}

    /**
     * One advertised action. {@code timeout} and {@code interval} are null when the agent does not
     * advise one, {@code depth} (the monitor's {@code OCF_CHECK_LEVEL}) when it gives none.
     */
    public record Action(String name, Duration timeout, Duration interval, Integer depth) {
        /** The advised timeout in milliseconds, or {@code fallbackMs}. */
        public long timeoutMs(long fallbackMs) {
            return timeout == null ? fallbackMs : timeout.toMillis();
        }
    }

    /** The agent implements both {@code promote} and {@code demote}: it can run in a promoted role. */
    public boolean promotable() {
        return action("promote").isPresent() && action("demote").isPresent();
    }

    public Optional<Action> action(String name) {
        return actions.stream().filter(a -> a.name().equals(name)).findFirst();
    }

    public Optional<Parameter> parameter(String name) {
        return parameters.stream().filter(p -> p.name().equals(name)).findFirst();
    }

    /** Parses meta-data XML. No DTD or external entity is ever loaded (the usual {@code ra-api-1.dtd} DOCTYPE is read past). */
    public static OcfMetadata parse(String xml) throws ResourceException {
        Document doc;
        try {
            DocumentBuilder builder = factory().newDocumentBuilder();
            builder.setEntityResolver((publicId, systemId) -> new InputSource(new StringReader("")));
            builder.setErrorHandler(new ErrorHandler() {
                @Override
                public void warning(SAXParseException e) {}

                @Override
                public void error(SAXParseException e) {}

                @Override
                public void fatalError(SAXParseException e) throws SAXException {
                    throw e;
                }
            });
            doc = builder.parse(new InputSource(new StringReader(xml)));
        } catch (ParserConfigurationException | SAXException | IOException e) {
            throw new ResourceException("meta-data is not well-formed XML: " + e.getMessage(), e);
        }
        Element root = doc.getDocumentElement();
        if (!"resource-agent".equals(root.getTagName())) {
            throw new ResourceException(
                    "meta-data: root element is <" + root.getTagName() + ">, expected <resource-agent>");
        }
        String version = root.getAttribute("version");
        if (version.isEmpty()) version = text(child(root, "version"));
        List<Parameter> params = new ArrayList<>();
        for (Element p : children(child(root, "parameters"), "parameter")) params.add(parameter(p));
        List<Action> actions = new ArrayList<>();
        for (Element a : children(child(root, "actions"), "action")) actions.add(action(a));
        return new OcfMetadata(
                root.getAttribute("name"),
                version,
                text(child(root, "shortdesc")),
                text(child(root, "longdesc")),
                params,
                actions);
    }

    private static Parameter parameter(Element p) throws ResourceException {
        String name = p.getAttribute("name");
        if (name.isEmpty()) throw new ResourceException("meta-data: a <parameter> has no name");
        Element content = child(p, "content");
        return new Parameter(
                name,
                flag(p.getAttribute("required")),
                flag(p.getAttribute("unique")),
                content == null || !content.hasAttribute("type") ? null : content.getAttribute("type"),
                content == null || !content.hasAttribute("default") ? null : content.getAttribute("default"),
                text(child(p, "shortdesc")));
    }

    private static Action action(Element a) throws ResourceException {
        String name = a.getAttribute("name");
        if (name.isEmpty()) throw new ResourceException("meta-data: an <action> has no name");
        Integer depth = null;
        if (!a.getAttribute("depth").isBlank()) {
            try {
                depth = Integer.parseInt(a.getAttribute("depth").trim());
            } catch (NumberFormatException e) {
                throw new ResourceException(
                        "meta-data: action " + name + ": depth '" + a.getAttribute("depth") + "' is not a number");
            }
        }
        return new Action(
                name,
                duration(name, "timeout", a.getAttribute("timeout")),
                duration(name, "interval", a.getAttribute("interval")),
                depth);
    }

    private static final Pattern DURATION = Pattern.compile("\\s*(\\d+)\\s*([a-z]*)\\s*");

    /**
     * A Pacemaker duration such as {@code 20s}, {@code 20} (seconds), {@code 500ms}, {@code 2min},
     * {@code 1h}; null for an empty value.
     */
    static Duration parseDuration(String value) {
        if (value == null || value.isBlank()) return null;
        Matcher m = DURATION.matcher(value.toLowerCase(Locale.ROOT));
        if (!m.matches()) throw new IllegalArgumentException("'" + value + "' is not a duration such as 20s");
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "", "s", "sec" -> Duration.ofSeconds(n);
            case "ms", "msec" -> Duration.ofMillis(n);
            case "us", "usec" -> Duration.ofNanos(n * 1000);
            case "m", "min" -> Duration.ofMinutes(n);
            case "h", "hr" -> Duration.ofHours(n);
            default ->
                throw new IllegalArgumentException(
                        "'" + value + "': unknown unit '" + m.group(2) + "' (ms, s, min, h)");
        };
    }

    private static Duration duration(String action, String what, String value) throws ResourceException {
        try {
            return parseDuration(value);
        } catch (IllegalArgumentException e) {
            throw new ResourceException("meta-data: action " + action + ": " + what + " " + e.getMessage());
        }
    }

    private static boolean flag(String v) {
        return v.equals("1") || v.equalsIgnoreCase("true") || v.equalsIgnoreCase("yes");
    }

    private static DocumentBuilderFactory factory() throws ParserConfigurationException {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        f.setFeature("http://xml.org/sax/features/external-general-entities", false);
        f.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
        f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        f.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
        f.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
        f.setXIncludeAware(false);
        f.setExpandEntityReferences(false);
        f.setNamespaceAware(false);
        return f;
    }

    private static Element child(Element parent, String tag) {
        if (parent == null) return null;
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(tag)) return e;
        }
        return null;
    }

    private static List<Element> children(Element parent, String tag) {
        List<Element> out = new ArrayList<>();
        if (parent == null) return out;
        NodeList nodes = parent.getChildNodes();
        for (int i = 0; i < nodes.getLength(); i++) {
            if (nodes.item(i) instanceof Element e && e.getTagName().equals(tag)) out.add(e);
        }
        return out;
    }

    private static String text(Element e) {
        return e == null ? "" : e.getTextContent().strip();
    }
}
