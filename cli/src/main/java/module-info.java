/** The tandem command. */
module tandem.cli {
    requires tandem.node;
    requires tandem.lab;
    requires info.picocli;
    requires com.fasterxml.jackson.databind;
    requires org.slf4j;
    requires jdk.unsupported;
    opens tandem.cli to info.picocli;
}
