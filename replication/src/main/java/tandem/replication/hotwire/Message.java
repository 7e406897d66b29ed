package tandem.replication.hotwire;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.util.List;
import tandem.replication.apply.ApplyResult;
import tandem.replication.apply.Bundle;
import tandem.replication.apply.NodeStatus;
import tandem.replication.model.Manifest;
import tandem.replication.model.RelativePath;

/** The JSON messages of the tandem-sync subsystem (docs/design/config-sync.txt), by their "type". */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(value = Message.Status.class, name = "STATUS"),
    @JsonSubTypes.Type(value = Message.StatusReply.class, name = "STATUS_REPLY"),
    @JsonSubTypes.Type(value = Message.Push.class, name = "PUSH"),
    @JsonSubTypes.Type(value = Message.PushReady.class, name = "PUSH_READY"),
    @JsonSubTypes.Type(value = Message.PushReply.class, name = "PUSH_REPLY"),
    @JsonSubTypes.Type(value = Message.Fetch.class, name = "FETCH"),
    @JsonSubTypes.Type(value = Message.FetchReply.class, name = "FETCH_REPLY"),
    @JsonSubTypes.Type(value = Message.Error.class, name = "ERROR"),
})
public sealed interface Message {
    /** Client: what is your state? */
    record Status() implements Message {
    }

    record StatusReply(NodeStatus status) implements Message {
        public StatusReply {
            require(status, "status");
        }
    }

    /** Client: here is a bundle; its files' contents follow in DATA frames once you say PUSH_READY. */
    record Push(Bundle bundle) implements Message {
        public Push {
            require(bundle, "bundle");
        }
    }

    /** Server: send the contents. */
    record PushReady() implements Message {
    }

    /** Server: the transaction ended (or was refused before the contents). */
    record PushReply(ApplyResult result) implements Message {
        public PushReply {
            require(result, "result");
        }
    }

    /** Client: send me these files (null or empty: every replicated file) and your shared configuration. */
    record Fetch(List<String> paths) implements Message {
        public Fetch {
            paths = paths == null ? List.of() : List.copyOf(paths);
            paths.forEach(RelativePath::check);
        }
    }

    /** Server: my manifest and shared configuration; the contents of {@code files} follow in DATA frames. */
    record FetchReply(Manifest manifest, String sharedConfig, List<String> files) implements Message {
        public FetchReply {
            require(manifest, "manifest");
            files = files == null ? List.of() : List.copyOf(files);
            for (String f : files) {
                if (manifest.entry(RelativePath.check(f)) == null) {
                    throw new IllegalArgumentException("fetch reply: " + f + " is sent but not in the manifest");
                }
            }
        }
    }

    /**
     * Either side: the request cannot be served (it may replace any frame the other side waits for);
     * the side that sent it closes the channel.
     */
    record Error(String kind, String message) implements Message {
        public static final String PROTOCOL = "protocol";
        public static final String LIMIT = "limit";
        public static final String INTERNAL = "internal";

        public Error {
            require(kind, "kind");
            require(message, "message");
        }
    }

    private static void require(Object o, String what) {
        if (o == null) {
            throw new IllegalArgumentException(what + ": missing (expected: present)");
        }
    }
}
