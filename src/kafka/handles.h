// RAII ownership for every librdkafka C handle (one deleter + unique_ptr per C type).
// Ownership passes to librdkafka only on success; see make_* helpers in client.h.
#pragma once

#include <librdkafka/rdkafka.h>
#include <memory>

namespace kmirror::kafka {

struct ConfDeleter {
    void operator()(rd_kafka_conf_t* p) const { rd_kafka_conf_destroy(p); }
};
struct TopicDeleter {
    void operator()(rd_kafka_topic_t* p) const { rd_kafka_topic_destroy(p); }
};
struct TopicConfDeleter {
    void operator()(rd_kafka_topic_conf_t* p) const { rd_kafka_topic_conf_destroy(p); }
};
// Consumers must be closed (rd_kafka_consumer_close) before destruction; Client does that.
struct HandleDeleter {
    void operator()(rd_kafka_t* p) const { rd_kafka_destroy(p); }
};
struct MessageDeleter {
    void operator()(rd_kafka_message_t* p) const { rd_kafka_message_destroy(p); }
};
struct PartitionListDeleter {
    void operator()(rd_kafka_topic_partition_list_t* p) const {
        rd_kafka_topic_partition_list_destroy(p);
    }
};
struct QueueDeleter {
    void operator()(rd_kafka_queue_t* p) const { rd_kafka_queue_destroy(p); }
};
struct EventDeleter {
    void operator()(rd_kafka_event_t* p) const { rd_kafka_event_destroy(p); }
};
struct AdminOptionsDeleter {
    void operator()(rd_kafka_AdminOptions_t* p) const { rd_kafka_AdminOptions_destroy(p); }
};
struct NewTopicDeleter {
    void operator()(rd_kafka_NewTopic_t* p) const { rd_kafka_NewTopic_destroy(p); }
};
struct ConfigResourceDeleter {
    void operator()(rd_kafka_ConfigResource_t* p) const { rd_kafka_ConfigResource_destroy(p); }
};
struct HeadersDeleter {
    void operator()(rd_kafka_headers_t* p) const { rd_kafka_headers_destroy(p); }
};
struct ErrorDeleter {
    void operator()(rd_kafka_error_t* p) const { rd_kafka_error_destroy(p); }
};
struct MetadataDeleter {
    void operator()(const rd_kafka_metadata_t* p) const { rd_kafka_metadata_destroy(p); }
};

using ConfPtr = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;
using TopicPtr = std::unique_ptr<rd_kafka_topic_t, TopicDeleter>;
using TopicConfPtr = std::unique_ptr<rd_kafka_topic_conf_t, TopicConfDeleter>;
using HandlePtr = std::unique_ptr<rd_kafka_t, HandleDeleter>;
using MessagePtr = std::unique_ptr<rd_kafka_message_t, MessageDeleter>;
using PartitionListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;
using QueuePtr = std::unique_ptr<rd_kafka_queue_t, QueueDeleter>;
using EventPtr = std::unique_ptr<rd_kafka_event_t, EventDeleter>;
using AdminOptionsPtr = std::unique_ptr<rd_kafka_AdminOptions_t, AdminOptionsDeleter>;
using NewTopicPtr = std::unique_ptr<rd_kafka_NewTopic_t, NewTopicDeleter>;
using ConfigResourcePtr = std::unique_ptr<rd_kafka_ConfigResource_t, ConfigResourceDeleter>;
using HeadersPtr = std::unique_ptr<rd_kafka_headers_t, HeadersDeleter>;
using ErrorPtr = std::unique_ptr<rd_kafka_error_t, ErrorDeleter>;
using MetadataPtr = std::unique_ptr<const rd_kafka_metadata_t, MetadataDeleter>;

inline PartitionListPtr make_partition_list(int capacity = 0) {
    return PartitionListPtr(rd_kafka_topic_partition_list_new(capacity));
}

} // namespace kmirror::kafka
