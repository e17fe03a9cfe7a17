#include "wire/broker_connection.h"
#include "wire/codec.h"
#include "wire/crc32c.h"
#include "wire/messages.h"
#include "wire/record_batch.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace kmirror::wire {
namespace {

struct TestRecord {
    std::string key;
    std::string value;
    std::vector<std::pair<std::string, std::string>> headers;
    int64_t timestamp_delta = 0;
};

struct BatchSpec {
    int64_t base_offset = 0;
    int16_t attributes = 0;
    int64_t base_timestamp = 1700000000000;
    int64_t producer_id = -1;
    int16_t producer_epoch = -1;
    int32_t base_sequence = -1;
    int32_t last_offset_delta = -1; // -1: records - 1
    int8_t magic = 2;
    std::vector<TestRecord> records;
};

// A magic-2 batch as a Kafka producer writes it (uncompressed records).
std::string make_batch(const BatchSpec& spec) {
    std::string records;
    for (size_t i = 0; i < spec.records.size(); ++i) {
        const auto& r = spec.records[i];
        std::string body;
        body.push_back(0); // attributes
        append_varlong(body, r.timestamp_delta);
        append_varlong(body, static_cast<int64_t>(i));
        append_varlong(body, static_cast<int64_t>(r.key.size()));
        body += r.key;
        append_varlong(body, static_cast<int64_t>(r.value.size()));
        body += r.value;
        append_varlong(body, static_cast<int64_t>(r.headers.size()));
        for (const auto& [k, v] : r.headers) {
            append_varlong(body, static_cast<int64_t>(k.size()));
            body += k;
            append_varlong(body, static_cast<int64_t>(v.size()));
            body += v;
        }
        append_varlong(records, static_cast<int64_t>(body.size()));
        records += body;
    }
    const auto count = static_cast<int32_t>(spec.records.size());
    Writer tail; // from attributes to the end: what the CRC covers
    tail.i16(spec.attributes);
    tail.i32(spec.last_offset_delta >= 0 ? spec.last_offset_delta : count - 1);
    tail.i64(spec.base_timestamp);
    tail.i64(spec.base_timestamp +
             (spec.records.empty() ? 0 : spec.records.back().timestamp_delta));
    tail.i64(spec.producer_id);
    tail.i16(spec.producer_epoch);
    tail.i32(spec.base_sequence);
    tail.i32(count);
    tail.raw(records);
    const std::string covered = tail.take();
    Writer w;
    w.i64(spec.base_offset);
    w.i32(static_cast<int32_t>(4 + 1 + 4 + covered.size()));
    w.i32(0); // partition leader epoch
    w.i8(spec.magic);
    w.i32(static_cast<int32_t>(
        crc32c(reinterpret_cast<const uint8_t*>(covered.data()), covered.size())));
    w.raw(covered);
    return w.take();
}

std::vector<TestRecord> records(int n) {
    std::vector<TestRecord> out;
    for (int i = 0; i < n; ++i) {
        out.push_back({"k" + std::to_string(i), "value-" + std::to_string(i), {{"h", "x"}}, i});
    }
    return out;
}

// A control batch: one record whose key is version 0 and type 0 (abort) or 1 (commit).
std::string make_marker(int64_t offset, int64_t producer_id, bool commit) {
    Writer key;
    key.i16(0);
    key.i16(commit ? 1 : 0);
    return make_batch({offset,
                       kTransactionalFlag | kControlFlag,
                       0,
                       producer_id,
                       0,
                       -1,
                       -1,
                       2,
                       {{key.take(), std::string("\0\0\0\0\0\0", 6), {}, 0}}});
}

uint32_t stored_crc(const std::string& batch) {
    Reader r(batch.substr(kCrcAt, 4));
    return static_cast<uint32_t>(r.i32());
}

TEST(Crc32c, MatchesTheCastagnoliCheckValues) {
    const std::string check = "123456789";
    EXPECT_EQ(crc32c(reinterpret_cast<const uint8_t*>(check.data()), check.size()), 0xE3069283U);
    const std::string zeros(32, '\0'); // RFC 3720 B.4
    EXPECT_EQ(crc32c(reinterpret_cast<const uint8_t*>(zeros.data()), zeros.size()), 0x8A9136AAU);
    const std::string ones(32, '\xFF');
    EXPECT_EQ(crc32c(reinterpret_cast<const uint8_t*>(ones.data()), ones.size()), 0x62A8AB43U);
    EXPECT_EQ(crc32c(nullptr, 0), 0U);
}

TEST(Codec, VarintsRoundTripAndTruncationIsAnError) {
    for (int64_t v : {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{63}, int64_t{-64}, int64_t{64},
                      int64_t{300}, int64_t{INT32_MAX}, int64_t{INT64_MIN}, int64_t{INT64_MAX}}) {
        std::string out;
        append_varlong(out, v);
        Reader r(out);
        EXPECT_EQ(r.varlong(), v);
        EXPECT_TRUE(r.ok());
        EXPECT_EQ(r.remaining(), 0U);
    }
    std::string cut;
    append_varlong(cut, 300);
    Reader r(cut.substr(0, 1));
    r.varlong();
    EXPECT_FALSE(r.ok());
    Reader past("ab", 2);
    past.i32();
    EXPECT_FALSE(past.ok());
}

TEST(RecordBatch, SplitKeepsWholeBatchesAndLeavesACutOneOut) {
    const std::string first = make_batch({100, 0, 1, -1, -1, -1, -1, 2, records(3)});
    const std::string second = make_batch({103, 3 /* lz4 bit */, 1, 42, 1, 7, -1, 2, records(2)});
    const std::string third = make_batch({105, 0, 1, -1, -1, -1, -1, 2, records(4)});
    const std::string fetched = first + second + third.substr(0, third.size() - 5);
    const auto slices = split_batches(fetched);
    ASSERT_EQ(slices.size(), 2U);
    EXPECT_EQ(slices[0].offset, 0U);
    EXPECT_EQ(slices[0].size, first.size());
    EXPECT_EQ(slices[0].header.base_offset, 100);
    EXPECT_EQ(slices[0].header.record_count, 3);
    EXPECT_EQ(slices[0].header.last_offset(), 102);
    EXPECT_EQ(slices[1].offset, first.size());
    EXPECT_EQ(slices[1].header.compression(), 3);
    EXPECT_EQ(slices[1].header.producer_id, 42);
    EXPECT_EQ(slices[1].header.producer_epoch, 1);
    EXPECT_EQ(slices[1].header.base_sequence, 7);
    EXPECT_EQ(slices[1].header.crc, stored_crc(second));
    EXPECT_TRUE(split_batches(third.substr(0, 20)).empty());
    EXPECT_TRUE(split_batches("").empty());
}

TEST(RecordBatch, ReadCommittedSkipsAbortedTransactionsAndMarkers) {
    // Producer 7's transaction from offset 10 was aborted; producer 8's committed.
    ReadCommittedFilter filter({{7, 10}});
    struct Case {
        std::string name;
        std::string batch;
        BatchAction action;
    };
    const std::vector<Case> cases = {
        {"plain records before", make_batch({0, 0, 1, -1, -1, -1, -1, 2, records(10)}),
         BatchAction::forward},
        {"aborted transaction's data",
         make_batch({10, kTransactionalFlag, 1, 7, 0, 0, -1, 2, records(2)}), BatchAction::skip},
        {"another producer's committed data",
         make_batch({12, kTransactionalFlag, 1, 8, 0, 0, -1, 2, records(1)}), BatchAction::forward},
        {"more of the aborted transaction",
         make_batch({13, kTransactionalFlag, 1, 7, 0, 2, -1, 2, records(1)}), BatchAction::skip},
        {"the abort marker", make_marker(14, 7, false), BatchAction::skip},
        {"the commit marker", make_marker(15, 8, true), BatchAction::skip},
        {"producer 7's next transaction is not aborted",
         make_batch({16, kTransactionalFlag, 1, 7, 0, 3, -1, 2, records(1)}), BatchAction::forward},
    };
    for (const auto& c : cases) {
        const auto slices = split_batches(c.batch);
        ASSERT_EQ(slices.size(), 1U) << c.name;
        EXPECT_EQ(filter.classify(slices[0].header, c.batch), c.action) << c.name;
    }
}

TEST(RecordBatch, ForwardingObstaclesNameWhatStandsInTheWay) {
    auto header = [](int64_t base, int32_t count, int32_t last_delta, int16_t attributes,
                     int8_t magic = 2) {
        BatchHeader h;
        h.base_offset = base;
        h.record_count = count;
        h.last_offset_delta = last_delta;
        h.attributes = attributes;
        h.magic = magic;
        return h;
    };
    struct Case {
        std::string name;
        BatchHeader header;
        int64_t fetch_offset;
        int producer_codec;
        std::string obstacle; // empty: none; else a part of the reason
    };
    const std::vector<Case> cases = {
        {"a plain batch at the fetch position", header(10, 5, 4, 0), 10, 0, ""},
        {"a later batch", header(20, 5, 4, 0), 10, 0, ""},
        {"lz4 batch, no producer compression: kept compressed", header(10, 5, 4, 3), 10, 0, ""},
        {"zstd batch, zstd producer", header(10, 5, 4, 4), 10, 4, ""},
        {"transactional data is produced non-transactionally", header(10, 5, 4, 0x10), 10, 0, ""},
        {"legacy format", header(10, 1, 0, 0, 1), 10, 0, "magic 1"},
        {"starts before the position", header(8, 5, 4, 0), 10, 0, "starts before"},
        {"compaction gaps", header(10, 3, 4, 0), 10, 0, "compaction"},
        {"log append time", header(10, 5, 4, kLogAppendTimeFlag), 10, 0, "log-append-time"},
        {"delete horizon", header(10, 5, 4, kDeleteHorizonFlag), 10, 0, "delete horizon"},
        {"uncompressed batch, gzip producer", header(10, 5, 4, 0), 10, 1, "compression"},
        {"lz4 batch, gzip producer", header(10, 5, 4, 3), 10, 1, "compression"},
    };
    for (const auto& c : cases) {
        const auto obstacle = forwarding_obstacle(c.header, c.fetch_offset, c.producer_codec);
        if (c.obstacle.empty()) {
            EXPECT_FALSE(obstacle.has_value()) << c.name << ": " << obstacle.value_or("");
        } else {
            ASSERT_TRUE(obstacle.has_value()) << c.name;
            EXPECT_NE(obstacle->find(c.obstacle), std::string::npos) << c.name << ": " << *obstacle;
        }
    }
}

TEST(RecordBatch, RewriteForProduceSetsTheProducerAndAValidCrcAndKeepsTheRecords) {
    const std::string fetched = make_batch(
        {1234, static_cast<int16_t>(kTransactionalFlag | 4), 1, 99, 3, 500, -1, 2, records(3)});
    std::string batch = fetched;
    rewrite_for_produce(batch.data(), batch.size(), 5, 2, 77);
    const auto slices = split_batches(batch);
    ASSERT_EQ(slices.size(), 1U);
    const auto& h = slices[0].header;
    EXPECT_EQ(h.base_offset, 0);
    EXPECT_EQ(h.leader_epoch, -1);
    EXPECT_FALSE(h.transactional());
    EXPECT_EQ(h.compression(), 4);
    EXPECT_EQ(h.producer_id, 5);
    EXPECT_EQ(h.producer_epoch, 2);
    EXPECT_EQ(h.base_sequence, 77);
    EXPECT_EQ(h.record_count, 3);
    EXPECT_EQ(h.crc, crc32c(reinterpret_cast<const uint8_t*>(batch.data() + kAttributesAt),
                            batch.size() - kAttributesAt));
    EXPECT_NE(h.crc, stored_crc(fetched));
    // Timestamps and the records themselves are untouched.
    EXPECT_EQ(batch.substr(kAttributesAt + 2, kProducerIdAt - kAttributesAt - 2),
              fetched.substr(kAttributesAt + 2, kProducerIdAt - kAttributesAt - 2));
    EXPECT_EQ(batch.substr(kBatchHeaderSize - 4), fetched.substr(kBatchHeaderSize - 4));
}

TEST(RecordBatch, RecordBytesCountKeysAndValuesOfUncompressedBatchesOnly) {
    std::vector<TestRecord> rs = {{"key1", "value-one", {{"header", "h"}}, 0},
                                  {"", "v2", {}, 1},
                                  {"k", std::string(300, 'x'), {{"a", "b"}, {"c", "d"}}, 2}};
    const auto sizes = record_bytes(make_batch({5, 0, 1, -1, -1, -1, -1, 2, rs}));
    ASSERT_TRUE(sizes.has_value());
    EXPECT_EQ(sizes->keys, 5);
    EXPECT_EQ(sizes->values, 9 + 2 + 300);
    EXPECT_FALSE(record_bytes(make_batch({5, 4 /* zstd */, 1, -1, -1, -1, -1, 2, rs})));
    const std::string whole = make_batch({5, 0, 1, -1, -1, -1, -1, 2, rs});
    std::string lying = whole;
    lying[kBatchHeaderSize - 1] = 9; // claims 9 records, holds 3
    EXPECT_FALSE(record_bytes(lying));
}

TEST(RecordBatch, CompressionNamesMapToKafkaCodecNumbers) {
    EXPECT_EQ(compression_codec("none"), 0);
    EXPECT_EQ(compression_codec("gzip"), 1);
    EXPECT_EQ(compression_codec("snappy"), 2);
    EXPECT_EQ(compression_codec("lz4"), 3);
    EXPECT_EQ(compression_codec("zstd"), 4);
    EXPECT_EQ(compression_codec("brotli"), -1);
}

TEST(Messages, FetchResponseDecodesPartitionsAbortedTransactionsAndRecords) {
    const std::string batch = make_batch({40, 0, 1, -1, -1, -1, -1, 2, records(2)});
    Writer w;
    w.i32(0); // throttle
    w.i16(0); // error
    w.i32(0); // session
    w.i32(1); // topics
    w.string("orders");
    w.i32(2); // partitions
    w.i32(3);
    w.i16(0);
    w.i64(42); // high watermark
    w.i64(42); // last stable offset
    w.i64(7);  // log start
    w.i32(1);  // aborted transactions
    w.i64(9);
    w.i64(30);
    w.i32(-1); // preferred read replica
    w.bytes(batch);
    w.i32(5);
    w.i16(kErrNotLeader);
    w.i64(-1);
    w.i64(-1);
    w.i64(-1);
    w.i32(-1); // aborted: null
    w.i32(-1);
    w.i32(-1); // records: null
    const std::string body = w.take();
    auto decoded = decode_fetch(body);
    ASSERT_TRUE(decoded) << decoded.error().message;
    ASSERT_EQ(decoded->topics.size(), 1U);
    const auto& t = decoded->topics[0];
    EXPECT_EQ(t.topic, "orders");
    ASSERT_EQ(t.partitions.size(), 2U);
    EXPECT_EQ(t.partitions[0].partition, 3);
    EXPECT_EQ(t.partitions[0].high_watermark, 42);
    EXPECT_EQ(t.partitions[0].log_start_offset, 7);
    ASSERT_EQ(t.partitions[0].aborted.size(), 1U);
    EXPECT_EQ(t.partitions[0].aborted[0].producer_id, 9);
    EXPECT_EQ(t.partitions[0].aborted[0].first_offset, 30);
    EXPECT_EQ(t.partitions[0].records, batch);
    EXPECT_EQ(t.partitions[1].error, kErrNotLeader);
    EXPECT_TRUE(t.partitions[1].records.empty());
    auto cut = decode_fetch(std::string_view(body).substr(0, body.size() - 3));
    ASSERT_FALSE(cut);
    EXPECT_NE(cut.error().message.find("malformed Fetch response"), std::string::npos);
}

TEST(Messages, ProduceRequestCarriesEachBatchWhereItSaysAndTheResponseDecodes) {
    const std::string a = make_batch({0, 0, 1, -1, -1, -1, -1, 2, records(2)});
    const std::string b = make_batch({0, 0, 1, -1, -1, -1, -1, 2, records(1)});
    std::vector<size_t> at;
    const std::string body =
        encode_produce(-1, 30000, {{"t1", {{0, a}, {4, b}}}, {"t2", {{1, b}}}}, at);
    ASSERT_EQ(at.size(), 3U);
    EXPECT_EQ(body.substr(at[0], a.size()), a);
    EXPECT_EQ(body.substr(at[1], b.size()), b);
    EXPECT_EQ(body.substr(at[2], b.size()), b);
    Reader r(body);
    EXPECT_EQ(r.i16(), -1); // transactional id: null
    EXPECT_EQ(r.i16(), -1); // acks
    EXPECT_EQ(r.i32(), 30000);
    EXPECT_EQ(r.i32(), 2); // topics
    EXPECT_EQ(r.string(), "t1");

    Writer w;
    w.i32(1);
    w.string("t1");
    w.i32(2);
    w.i32(0);
    w.i16(0);
    w.i64(1000); // base offset
    w.i64(-1);
    w.i64(0);
    w.i32(0);  // record errors
    w.i16(-1); // error message: null
    w.i32(4);
    w.i16(kErrMessageTooLarge);
    w.i64(-1);
    w.i64(-1);
    w.i64(0);
    w.i32(1);
    w.i32(0);
    w.string("batch too big");
    w.i16(-1);
    w.i32(0); // throttle
    auto decoded = decode_produce(w.take());
    ASSERT_TRUE(decoded) << decoded.error().message;
    ASSERT_EQ(decoded->size(), 1U);
    const auto& parts = (*decoded)[0].partitions;
    ASSERT_EQ(parts.size(), 2U);
    EXPECT_EQ(parts[0].base_offset, 1000);
    EXPECT_EQ(parts[0].error, 0);
    EXPECT_EQ(parts[1].error, kErrMessageTooLarge);
    EXPECT_EQ(parts[1].error_message, "batch too big");
}

TEST(Messages, InitProducerIdCarriesTheBrokersErrorCode) {
    Writer ok;
    ok.i32(0);
    ok.i16(0);
    ok.i64(4711);
    ok.i16(3);
    auto id = decode_init_producer_id(ok.take());
    ASSERT_TRUE(id) << id.error().message;
    EXPECT_EQ(id->producer_id, 4711);
    EXPECT_EQ(id->epoch, 3);
    EXPECT_EQ(id->error, 0);
    Writer refused;
    refused.i32(0);
    refused.i16(31); // cluster authorization failed
    refused.i64(-1);
    refused.i16(-1);
    auto error = decode_init_producer_id(refused.take());
    ASSERT_TRUE(error) << error.error().message;
    EXPECT_EQ(error->error, 31);
    EXPECT_FALSE(decode_init_producer_id(std::string(5, '\0')));
    const std::string framed = frame_request(kApiFetch, kFetchVersion, 9, "km", "BODY");
    Reader r(framed);
    EXPECT_EQ(r.i32(), static_cast<int32_t>(framed.size() - 4));
    EXPECT_EQ(r.i16(), kApiFetch);
    EXPECT_EQ(r.i16(), kFetchVersion);
    EXPECT_EQ(r.i32(), 9);
    EXPECT_EQ(r.string(), "km");
    EXPECT_EQ(r.raw(4), "BODY");
}

// The broker side of a socketpair answers in awkward pieces: responses split mid-size and
// mid-body, several in one write, one larger than the staging buffer. Every response must come
// out whole, once, in order, matched to its request.
TEST(BrokerConnection, ReassemblesResponsesHoweverTheBytesArrive) {
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    BrokerConnection conn("test", 0, "km");
    conn.adopt(fds[0]);
    const int broker = fds[1];
    std::vector<std::string> bodies = {"a",  std::string(70000, 'b'),   "",
                                       "dd", std::string(3 << 20, 'e'), "f"};
    std::vector<int32_t> ids;
    for (size_t i = 0; i < bodies.size(); ++i) {
        ids.push_back(conn.send(kApiFetch, kFetchVersion, "req", 100 + i));
    }
    // What the broker received: the framed requests, in order.
    std::string requests;
    char buf[4096];
    for (ssize_t n;
         requests.size() < bodies.size() * 19 && (n = ::read(broker, buf, sizeof buf)) > 0;) {
        requests.append(buf, static_cast<size_t>(n));
    }
    Reader r(requests);
    for (int32_t id : ids) {
        r.i32();
        r.i16();
        r.i16();
        EXPECT_EQ(r.i32(), id);
        EXPECT_EQ(r.string(), "km");
        EXPECT_EQ(r.raw(3), "req");
    }
    std::string wire;
    for (size_t i = 0; i < bodies.size(); ++i) {
        Writer w;
        w.i32(static_cast<int32_t>(4 + bodies[i].size()));
        w.i32(ids[i]);
        w.raw(bodies[i]);
        wire += w.take();
    }
    std::vector<Response> got;
    size_t sent = 0;
    const size_t pieces[] = {2, 3, 1, 70003, 50, 9, 1 << 16};
    for (size_t k = 0; sent < wire.size(); ++k) {
        const size_t piece = std::min(pieces[k % 7], wire.size() - sent);
        ASSERT_EQ(::write(broker, wire.data() + sent, piece), static_cast<ssize_t>(piece));
        sent += piece;
        pollfd p{conn.fd(), conn.events(), 0};
        while (::poll(&p, 1, 0) > 0 && (p.revents & POLLIN) != 0) {
            ASSERT_TRUE(conn.service(p.revents, got)) << conn.error();
        }
    }
    ASSERT_EQ(got.size(), bodies.size());
    for (size_t i = 0; i < bodies.size(); ++i) {
        EXPECT_EQ(got[i].correlation_id, ids[i]);
        EXPECT_EQ(got[i].tag, 100 + i);
        EXPECT_EQ(got[i].body(), bodies[i]) << "response " << i;
    }
    EXPECT_EQ(conn.in_flight(), 0U);

    // A response nobody asked for ends the connection with a clear error.
    conn.send(kApiFetch, kFetchVersion, "", 7);
    Writer stray;
    stray.i32(4);
    stray.i32(999);
    const std::string bytes = stray.take();
    ASSERT_EQ(::write(broker, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
    pollfd p{conn.fd(), POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 1000), 1);
    EXPECT_FALSE(conn.service(p.revents, got));
    EXPECT_NE(conn.error().find("unexpected correlation id 999"), std::string::npos)
        << conn.error();
    ::close(broker);
}

} // namespace
} // namespace kmirror::wire
