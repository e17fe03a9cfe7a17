// Interop probe: Apache Kafka's own RemoteClusterUtils.translateOffsets (connect-mirror-client)
// reading the checkpoints kmirror wrote. Run as a single-file Java program:
//   java -cp 'tools/kafka/lib/*' tests/java/TranslateOffsets.java BOOTSTRAP SOURCE_ALIAS GROUP
// Prints one line per partition: "<topic> <partition> <offset> <metadata>".
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.mirror.RemoteClusterUtils;

public class TranslateOffsets {
    public static void main(String[] args) throws Exception {
        Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", args[0]);
        Map<TopicPartition, OffsetAndMetadata> offsets =
                RemoteClusterUtils.translateOffsets(props, args[1], args[2], Duration.ofSeconds(30));
        for (Map.Entry<TopicPartition, OffsetAndMetadata> e : offsets.entrySet()) {
            System.out.println("translated " + e.getKey().topic() + " " + e.getKey().partition()
                    + " " + e.getValue().offset() + " " + e.getValue().metadata());
        }
        System.out.println("done " + offsets.size());
    }
}
