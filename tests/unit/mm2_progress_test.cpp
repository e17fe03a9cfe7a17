#include "mirror/mm2_progress.h"

#include <gtest/gtest.h>
#include <optional>
#include <string>
#include <vector>

namespace kmirror::mirror {
namespace {

struct Record {
    std::optional<std::string> key;
    std::optional<std::string> value;
    Mm2RecordKind kind;
};

struct Case {
    std::string name;
    std::vector<Record> records; // in offsets-topic order
    Mm2Progress expected;
};

std::string key(const std::string& topic, int partition, const std::string& cluster = "A",
                const std::string& connector = "MirrorSourceConnector") {
    return "[\"" + connector + "\",{\"cluster\":\"" + cluster +
           "\",\"partition\":" + std::to_string(partition) + ",\"topic\":\"" + topic + "\"}]";
}

std::string offset(int64_t n) {
    return "{\"offset\":" + std::to_string(n) + "}";
}

TEST(Mm2Progress, FoldsOffsetsTopicRecords) {
    using K = Mm2RecordKind;
    const std::vector<Case> cases = {
        {"one partition", {{key("t1", 0), offset(199), K::offset}}, {{{"t1", 0}, 199}}},
        {"offset 0 is the first record copied",
         {{key("t1", 3), offset(0), K::offset}},
         {{{"t1", 3}, 0}}},
        {"latest record of a key wins",
         {{key("t1", 0), offset(10), K::offset},
          {key("t1", 1), offset(5), K::offset},
          {key("t1", 0), offset(99), K::offset}},
         {{{"t1", 0}, 99}, {{"t1", 1}, 5}}},
        {"a tombstone removes the partition",
         {{key("t1", 0), offset(10), K::offset},
          {key("t1", 1), offset(5), K::offset},
          {key("t1", 0), std::nullopt, K::cleared}},
         {{{"t1", 1}, 5}}},
        {"an offset after a tombstone counts again",
         {{key("t1", 0), offset(10), K::offset},
          {key("t1", 0), std::nullopt, K::cleared},
          {key("t1", 0), offset(3), K::offset}},
         {{{"t1", 0}, 3}}},
        {"negative, null or missing offset: MM2 does not seek",
         {{key("t1", 0), offset(10), K::offset},
          {key("t1", 0), offset(-1), K::cleared},
          {key("t1", 1), offset(10), K::offset},
          {key("t1", 1), "{\"offset\":null}", K::cleared},
          {key("t1", 2), offset(10), K::offset},
          {key("t1", 2), "{}", K::cleared}},
         {}},
        {"field order of the source partition does not matter",
         {{R"(["MirrorSourceConnector",{"topic":"t1","partition":2,"cluster":"A"}])", offset(7),
           K::offset}},
         {{{"t1", 2}, 7}}},
        {"another connector name is ignored",
         {{key("t1", 0, "A", "mm2-other"), offset(10), K::other},
          {key("t1", 1), offset(4), K::offset}},
         {{{"t1", 1}, 4}}},
        {"another source cluster is ignored",
         {{key("t1", 0, "B"), offset(10), K::other}, {key("t1", 0), offset(2), K::offset}},
         {{{"t1", 0}, 2}}},
        {"checkpoint and heartbeat records are ignored",
         {{R"(["MirrorCheckpointConnector",{"partition":3,"topic":"A.t1","group":"g1"}])",
           offset(0), K::other},
          {R"(["MirrorHeartbeatConnector",{"sourceClusterAlias":"B","targetClusterAlias":"A"}])",
           offset(0), K::other},
          {R"(["MirrorSourceConnector",{"partition":3,"topic":"t1","group":"g1"}])", offset(0),
           K::other},
          {R"(["MirrorSourceConnector",{"cluster":"A","partition":3,"topic":"t1","x":1}])",
           offset(0), K::other}},
         {}},
        {"malformed records are skipped and change nothing",
         {{key("t1", 0), offset(10), K::offset},
          {std::nullopt, offset(1), K::malformed},
          {"", offset(1), K::malformed},
          {"not json", offset(1), K::malformed},
          {R"({"MirrorSourceConnector":1})", offset(1), K::malformed},
          {R"(["MirrorSourceConnector"])", offset(1), K::malformed},
          {R"([1,{"cluster":"A","partition":0,"topic":"t1"}])", offset(1), K::malformed},
          {R"(["MirrorSourceConnector",{"cluster":"A","partition":"0","topic":"t1"}])", offset(1),
           K::malformed},
          {R"(["MirrorSourceConnector",{"cluster":"A","partition":-1,"topic":"t1"}])", offset(1),
           K::malformed},
          {R"(["MirrorSourceConnector",{"cluster":"A","partition":0.5,"topic":"t1"}])", offset(1),
           K::malformed},
          {R"(["MirrorSourceConnector",{"cluster":"A","partition":4294967296,"topic":"t1"}])",
           offset(1), K::malformed},
          {R"(["MirrorSourceConnector",{"cluster":"A","partition":0,"topic":5}])", offset(1),
           K::malformed},
          {R"(["MirrorSourceConnector",{"cluster":7,"partition":0,"topic":"t1"}])", offset(1),
           K::malformed},
          {key("t1", 0), "", K::malformed},
          {key("t1", 0), "{\"offset\":", K::malformed},
          {key("t1", 0), "[1]", K::malformed},
          {key("t1", 0), "{\"offset\":\"12\"}", K::malformed},
          {key("t1", 0), "{\"offset\":1.5}", K::malformed}},
         {{{"t1", 0}, 10}}},
        {"topics with dots and several partitions",
         {{key("a.b-c_d", 0), offset(1), K::offset}, {key("a.b-c_d", 24), offset(2), K::offset}},
         {{{"a.b-c_d", 0}, 1}, {{"a.b-c_d", 24}, 2}}},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        Mm2Progress progress;
        for (size_t i = 0; i < c.records.size(); ++i) {
            const auto& r = c.records[i];
            std::optional<std::string_view> k;
            std::optional<std::string_view> v;
            if (r.key) {
                k = *r.key;
            }
            if (r.value) {
                v = *r.value;
            }
            EXPECT_EQ(apply_mm2_offset_record(progress, "MirrorSourceConnector", "A", k, v), r.kind)
                << "record " << i << ": " << r.key.value_or("null") << " = "
                << r.value.value_or("null");
        }
        EXPECT_EQ(progress, c.expected);
    }
}

TEST(Mm2Progress, ConnectorNameIsTheConfiguredOne) {
    // Under Connect the connector has the name it was created with.
    Mm2Progress progress;
    EXPECT_EQ(
        apply_mm2_offset_record(progress, "mm2-msc", "A", key("t1", 0, "A", "mm2-msc"), offset(41)),
        Mm2RecordKind::offset);
    EXPECT_EQ(apply_mm2_offset_record(progress, "mm2-msc", "A", key("t1", 0), offset(50)),
              Mm2RecordKind::other);
    EXPECT_EQ(progress, (Mm2Progress{{{"t1", 0}, 41}}));
}

} // namespace
} // namespace kmirror::mirror
