#include "mirror/formats.h"

#include <gtest/gtest.h>
#include <limits>
#include <vector>

namespace kmirror::mirror {
namespace {

std::string bytes(std::initializer_list<int> values) {
    std::string out;
    for (int v : values) {
        out += static_cast<char>(v);
    }
    return out;
}

template <typename T> std::string must(Result<T> r) {
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? std::move(r).value() : std::string();
}

// ---- spec worked examples, byte for byte ----

TEST(FormatsTest, OffsetSyncWorkedExample) {
    const OffsetSync sync{"topic1", 3, 1000, 995};
    const std::string key =
        bytes({0x00, 0x06, 0x74, 0x6f, 0x70, 0x69, 0x63, 0x31, 0x00, 0x00, 0x00, 0x03});
    const std::string value = bytes({0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00,
                                     0x00, 0x00, 0x00, 0x00, 0x03, 0xe3});
    EXPECT_EQ(must(encode_key(sync)), key);
    EXPECT_EQ(must(encode_value(sync)), value);
    auto decoded = decode_offset_sync(key, value);
    ASSERT_TRUE(decoded.ok()) << decoded.error().message;
    EXPECT_EQ(decoded.value(), sync);
}

TEST(FormatsTest, CheckpointWorkedExample) {
    const Checkpoint cp{"g1", "A.topic1", 3, 1000, 996, ""};
    const std::string key = bytes({0x00, 0x02, 0x67, 0x31, 0x00, 0x08, 0x41, 0x2e, 0x74, 0x6f, 0x70,
                                   0x69, 0x63, 0x31, 0x00, 0x00, 0x00, 0x03});
    const std::string value = bytes({0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xe8,
                                     0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xe4, 0x00, 0x00});
    EXPECT_EQ(value.size(), 20U);
    EXPECT_EQ(must(encode_key(cp)), key);
    EXPECT_EQ(must(encode_value(cp)), value);
    auto decoded = decode_checkpoint(key, value);
    ASSERT_TRUE(decoded.ok()) << decoded.error().message;
    EXPECT_EQ(decoded.value(), cp);
}

TEST(FormatsTest, HeartbeatWorkedExample) {
    const Heartbeat hb{"A", "B", 1700000000000};
    const std::string key = bytes({0x00, 0x01, 0x41, 0x00, 0x01, 0x42});
    const std::string value = bytes({0x00, 0x00, 0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x00});
    EXPECT_EQ(must(encode_key(hb)), key);
    EXPECT_EQ(must(encode_value(hb)), value);
    auto decoded = decode_heartbeat(key, value);
    ASSERT_TRUE(decoded.ok()) << decoded.error().message;
    EXPECT_EQ(decoded.value(), hb);
}

// ---- round trips ----

TEST(FormatsTest, OffsetSyncRoundTrips) {
    const std::vector<OffsetSync> cases = {
        {"", 0, 0, 0},
        {"t", -1, -1, -1},
        {"A.orders", std::numeric_limits<int32_t>::max(), std::numeric_limits<int64_t>::max(),
         std::numeric_limits<int64_t>::min()},
        {std::string(kMaxStringBytes, 'x'), 7, 1, 2},
        {"t\xc3\xa9st", 1, 2, 3}, // UTF-8 is carried as bytes
    };
    for (const auto& sync : cases) {
        auto decoded = decode_offset_sync(must(encode_key(sync)), must(encode_value(sync)));
        ASSERT_TRUE(decoded.ok()) << decoded.error().message;
        EXPECT_EQ(decoded.value(), sync) << to_string(sync);
    }
}

TEST(FormatsTest, CheckpointRoundTrips) {
    const std::vector<Checkpoint> cases = {
        {"", "", 0, 0, 0, ""},
        {"g", "A.t", 5, -1, 0, "meta data"},
        {"group", "t", 1, std::numeric_limits<int64_t>::max(), 3,
         std::string(kMaxStringBytes, 'm')},
    };
    for (const auto& cp : cases) {
        auto decoded = decode_checkpoint(must(encode_key(cp)), must(encode_value(cp)));
        ASSERT_TRUE(decoded.ok()) << decoded.error().message;
        EXPECT_EQ(decoded.value(), cp) << cp.group;
    }
}

TEST(FormatsTest, HeartbeatRoundTrips) {
    const std::vector<Heartbeat> cases = {
        {"", "", 0},
        {"us-east", "eu-west", std::numeric_limits<int64_t>::min()},
        {"a", "b", std::numeric_limits<int64_t>::max()},
    };
    for (const auto& hb : cases) {
        auto decoded = decode_heartbeat(must(encode_key(hb)), must(encode_value(hb)));
        ASSERT_TRUE(decoded.ok()) << decoded.error().message;
        EXPECT_EQ(decoded.value(), hb);
    }
}

// ---- limits and malformed input ----

TEST(FormatsTest, EncodeRejectsStringsOver32767Bytes) {
    const std::string too_long(kMaxStringBytes + 1, 'x');
    struct Case {
        const char* name;
        Result<std::string> result;
        const char* field;
    };
    const std::vector<Case> cases = {
        {"offset sync topic", encode_key(OffsetSync{too_long, 0, 0, 0}), "topic"},
        {"checkpoint group", encode_key(Checkpoint{too_long, "t", 0, 0, 0, ""}), "group"},
        {"checkpoint topic", encode_key(Checkpoint{"g", too_long, 0, 0, 0, ""}), "topic"},
        {"checkpoint metadata", encode_value(Checkpoint{"g", "t", 0, 0, 0, too_long}), "metadata"},
        {"heartbeat source", encode_key(Heartbeat{too_long, "B", 0}), "sourceClusterAlias"},
        {"heartbeat target", encode_key(Heartbeat{"A", too_long, 0}), "targetClusterAlias"},
    };
    for (const auto& c : cases) {
        ASSERT_FALSE(c.result.ok()) << c.name;
        EXPECT_NE(c.result.error().message.find(c.field), std::string::npos)
            << c.name << ": " << c.result.error().message;
        EXPECT_NE(c.result.error().message.find("32767"), std::string::npos) << c.name;
    }
}

TEST(FormatsTest, DecodeIgnoresTrailingBytes) {
    const std::string junk = "\x01\x02\x03";
    const OffsetSync sync{"topic1", 3, 1000, 995};
    auto s = decode_offset_sync(must(encode_key(sync)) + junk, must(encode_value(sync)) + junk);
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s.value(), sync);

    const Checkpoint cp{"g1", "A.topic1", 3, 1000, 996, "m"};
    auto c = decode_checkpoint(must(encode_key(cp)) + junk, must(encode_value(cp)) + junk);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c.value(), cp);

    const Heartbeat hb{"A", "B", 5};
    auto h = decode_heartbeat(must(encode_key(hb)) + junk, must(encode_value(hb)) + junk);
    ASSERT_TRUE(h.ok());
    EXPECT_EQ(h.value(), hb);
}

TEST(FormatsTest, DecodeReadsHigherVersionsWithV0Layout) {
    // Java selects the value layout with a disabled assert, so version 1 parses as version 0.
    const Heartbeat hb{"A", "B", 1700000000000};
    std::string value = must(encode_value(hb));
    value[1] = 0x01;
    auto h = decode_heartbeat(must(encode_key(hb)), value);
    ASSERT_TRUE(h.ok());
    EXPECT_EQ(h.value(), hb);

    const Checkpoint cp{"g1", "A.topic1", 3, 1000, 996, ""};
    std::string cvalue = must(encode_value(cp));
    cvalue[1] = 0x07;
    auto c = decode_checkpoint(must(encode_key(cp)), cvalue);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c.value(), cp);
}

TEST(FormatsTest, DecodeRejectsMalformedInput) {
    const std::string sync_key = must(encode_key(OffsetSync{"topic1", 3, 1000, 995}));
    const std::string sync_value = must(encode_value(OffsetSync{"topic1", 3, 1000, 995}));
    const std::string cp_key = must(encode_key(Checkpoint{"g1", "A.topic1", 3, 1000, 996, "m"}));
    const std::string cp_value =
        must(encode_value(Checkpoint{"g1", "A.topic1", 3, 1000, 996, "m"}));
    const std::string hb_key = must(encode_key(Heartbeat{"A", "B", 1}));
    const std::string hb_value = must(encode_value(Heartbeat{"A", "B", 1}));
    const std::string negative_length = bytes({0xff, 0xff}) + "abc";

    struct Case {
        const char* name;
        std::optional<std::string> error; // nullopt = decoded fine (a bug for these inputs)
        const char* expected_text;        // the field, quoted as in the message
    };
    auto sync_error = [](std::string_view k, std::string_view v) -> std::optional<std::string> {
        auto r = decode_offset_sync(k, v);
        return r.ok() ? std::nullopt : std::optional<std::string>(r.error().message);
    };
    auto cp_error = [](std::string_view k, std::string_view v) -> std::optional<std::string> {
        auto r = decode_checkpoint(k, v);
        return r.ok() ? std::nullopt : std::optional<std::string>(r.error().message);
    };
    auto hb_error = [](std::string_view k, std::string_view v) -> std::optional<std::string> {
        auto r = decode_heartbeat(k, v);
        return r.ok() ? std::nullopt : std::optional<std::string>(r.error().message);
    };
    const std::vector<Case> cases = {
        {"sync: empty key", sync_error("", sync_value), "'topic'"},
        {"sync: string cut short", sync_error(sync_key.substr(0, 5), sync_value), "'topic'"},
        {"sync: partition missing", sync_error(sync_key.substr(0, 8), sync_value), "'partition'"},
        {"sync: negative length", sync_error(negative_length, sync_value),
         "negative string length"},
        {"sync: empty value (tombstone)", sync_error(sync_key, ""), "'upstreamOffset'"},
        {"sync: downstream cut short", sync_error(sync_key, sync_value.substr(0, 12)), "'offset'"},
        {"checkpoint: topic cut short", cp_error(cp_key.substr(0, 6), cp_value), "'topic'"},
        {"checkpoint: negative group length", cp_error(negative_length, cp_value), "'group'"},
        {"checkpoint: no version", cp_error(cp_key, bytes({0x00})), "'version'"},
        {"checkpoint: metadata missing", cp_error(cp_key, cp_value.substr(0, 18)), "'metadata'"},
        {"checkpoint: metadata cut short", cp_error(cp_key, cp_value.substr(0, 20)), "'metadata'"},
        {"heartbeat: target missing", hb_error(hb_key.substr(0, 3), hb_value),
         "'targetClusterAlias'"},
        {"heartbeat: timestamp cut short", hb_error(hb_key, hb_value.substr(0, 9)), "'timestamp'"},
    };
    for (const auto& c : cases) {
        ASSERT_TRUE(c.error.has_value()) << c.name << " decoded without error";
        EXPECT_NE(c.error->find(c.expected_text), std::string::npos) << c.name << ": " << *c.error;
    }
}

// ---- KIP-597 formatter text ----

TEST(FormatsTest, FormatterText) {
    struct Case {
        std::string actual;
        std::string expected;
    };
    const std::vector<Case> cases = {
        {to_string(OffsetSync{"topic1", 3, 1000, 995}),
         "OffsetSync{topicPartition=topic1-3, upstreamOffset=1000, downstreamOffset=995}"},
        {to_string(Checkpoint{"g1", "A.topic1", 3, 1000, 996, ""}),
         "Checkpoint{consumerGroupId=g1, topicPartition=A.topic1-3, upstreamOffset=1000, "
         "downstreamOffset=996, metadata=}"},
        {to_string(Checkpoint{"g", "t", 0, -1, 2, "m"}),
         "Checkpoint{consumerGroupId=g, topicPartition=t-0, upstreamOffset=-1, "
         "downstreamOffset=2, metadata=m}"},
        {to_string(Heartbeat{"A", "B", 1700000000000}),
         "Heartbeat{sourceClusterAlias=A, targetClusterAlias=B, timestamp=1700000000000}"},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(c.actual, c.expected);
    }
}

} // namespace
} // namespace kmirror::mirror
