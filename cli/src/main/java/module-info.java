/** The tandem command. */
module tandem.cli {
    requires tandem.node;
    requires tandem.lab;
    requires info.picocli;
    requires org.slf4j;
    requires jdk.unsupported;
    opens tandem.cli to info.picocli;
}
