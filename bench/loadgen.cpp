// kmirror-loadgen: the load and measurement tool of bench/ (not part of kmirror or its tests).
//
// Talks to Kafka with librdkafka directly, so no JVM tool sits in the measured path.
//
//   kmirror-loadgen create-topic -b BOOTSTRAP -t TOPIC -p PARTITIONS
//   kmirror-loadgen delete-topic -b BOOTSTRAP -t TOPIC
//   kmirror-loadgen produce      -b BOOTSTRAP -t TOPIC -n RECORDS -s VALUE_BYTES [-c CODEC]
//                                [--rate-mbps MB_PER_S]          (default: as fast as possible)
//   kmirror-loadgen consume      -b BOOTSTRAP -t TOPIC -n RECORDS [--timeout S]
//   kmirror-loadgen latency      -b BOOTSTRAP -t TOPIC -n RECORDS [--timeout S]
//                                [--skip-seconds S] [--dump FILE] [--from beginning|end]
//   kmirror-loadgen wait         -b BOOTSTRAP -t TOPIC -n RECORDS [--timeout S] [--interval-ms MS]
//
// Records: 16-byte random key, VALUE_BYTES of random (incompressible) value, two headers
// ("kmb-a", "kmb-b") of 16 random bytes each; partition = record index mod partition count.
// Every command prints one JSON object on stdout; progress and errors go to stderr.
// `consume` reads every partition from the beginning until RECORDS records arrived (ceiling);
// `latency` does the same and reports consume time minus the record's CreateTime (records
// created in the first S seconds of the stream, --skip-seconds, are a warm-up: read, not counted);
// `wait` polls the end offsets until their sum reaches RECORDS (catch-up completion).
// MB are 10^6 bytes of record data (key + value + header names and values).

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr size_t kKeyBytes = 16;
constexpr size_t kHeaderValueBytes = 16;
constexpr const char* kHeaderNames[2] = {"kmb-a", "kmb-b"};

std::atomic<bool> g_stop{false};

[[noreturn]] void die(const std::string& msg) {
    std::fprintf(stderr, "kmirror-loadgen: %s\n", msg.c_str());
    std::exit(2);
}

double now_s() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

double mono_s() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

size_t record_overhead() {
    size_t n = kKeyBytes;
    for (const char* h : kHeaderNames) {
        n += std::strlen(h) + kHeaderValueBytes;
    }
    return n;
}

// xoshiro256** — fast, good enough to make values incompressible.
struct Rng {
    uint64_t s[4];
    explicit Rng(uint64_t seed) {
        for (auto& x : s) {
            seed += 0x9e3779b97f4a7c15ULL;
            uint64_t z = seed;
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
            x = z ^ (z >> 31);
        }
    }
    static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    uint64_t next() {
        const uint64_t result = rotl(s[1] * 5, 7) * 9;
        const uint64_t t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = rotl(s[3], 45);
        return result;
    }
    void fill(char* p, size_t n) {
        while (n >= 8) {
            uint64_t v = next();
            std::memcpy(p, &v, 8);
            p += 8;
            n -= 8;
        }
        if (n > 0) {
            uint64_t v = next();
            std::memcpy(p, &v, n);
        }
    }
};

struct Args {
    std::string cmd;
    std::map<std::string, std::string> kv;
    std::vector<std::string> props;  // -X key=value (librdkafka properties)

    std::string get(const std::string& k, const std::string& def = "") const {
        auto it = kv.find(k);
        return it == kv.end() ? def : it->second;
    }
    std::string need(const std::string& k) const {
        auto it = kv.find(k);
        if (it == kv.end()) {
            die(cmd + " needs " + k);
        }
        return it->second;
    }
    int64_t num(const std::string& k, int64_t def) const {
        auto it = kv.find(k);
        return it == kv.end() ? def : std::strtoll(it->second.c_str(), nullptr, 10);
    }
    double real(const std::string& k, double def) const {
        auto it = kv.find(k);
        return it == kv.end() ? def : std::strtod(it->second.c_str(), nullptr);
    }
};

Args parse(int argc, char** argv) {
    if (argc < 2) {
        die("usage: kmirror-loadgen create-topic|delete-topic|produce|consume|latency|wait "
            "-b BOOTSTRAP -t TOPIC ... (see the top of bench/loadgen.cpp)");
    }
    Args a;
    a.cmd = argv[1];
    static const std::map<std::string, std::string> alias = {
        {"-b", "bootstrap"}, {"-t", "topic"}, {"-n", "records"}, {"-s", "size"},
        {"-p", "partitions"}, {"-c", "compression"}};
    for (int i = 2; i < argc; ++i) {
        std::string k = argv[i];
        if (i + 1 >= argc) {
            die("missing value for " + k);
        }
        std::string v = argv[++i];
        if (k == "-X") {
            a.props.push_back(v);
            continue;
        }
        if (auto it = alias.find(k); it != alias.end()) {
            k = it->second;
        } else if (k.rfind("--", 0) == 0) {
            k = k.substr(2);
        } else {
            die("unknown argument " + k);
        }
        a.kv[k] = v;
    }
    return a;
}

void set(rd_kafka_conf_t* conf, const std::string& k, const std::string& v) {
    char err[512];
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
        die("config " + k + "=" + v + ": " + err);
    }
}

rd_kafka_conf_t* base_conf(const Args& a) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", a.need("bootstrap"));
    set(conf, "client.id", "kmirror-loadgen-" + a.cmd);
    for (const auto& p : a.props) {
        auto eq = p.find('=');
        if (eq == std::string::npos) {
            die("-X needs key=value, got " + p);
        }
        set(conf, p.substr(0, eq), p.substr(eq + 1));
    }
    return conf;
}

rd_kafka_t* make(rd_kafka_type_t type, rd_kafka_conf_t* conf) {
    char err[512];
    rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
    if (rk == nullptr) {
        die(std::string("rd_kafka_new: ") + err);
    }
    return rk;
}

// Partition count of a topic, retrying until it exists (or the deadline).
int partitions_of(rd_kafka_t* rk, const std::string& topic, double deadline) {
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
    int n = -1;
    while (!g_stop.load()) {
        const rd_kafka_metadata_t* md = nullptr;
        if (rd_kafka_metadata(rk, 0, rkt, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            if (md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR &&
                md->topics[0].partition_cnt > 0) {
                n = md->topics[0].partition_cnt;
            }
            rd_kafka_metadata_destroy(md);
        }
        if (n > 0 || mono_s() > deadline) {
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    rd_kafka_topic_destroy(rkt);
    return n;
}

// ---- admin -----------------------------------------------------------------------------------

int admin_topic(const Args& a, bool create) {
    rd_kafka_conf_t* conf = base_conf(a);
    rd_kafka_t* rk = make(RD_KAFKA_PRODUCER, conf);
    rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
    const std::string topic = a.need("topic");
    char err[512];
    if (create) {
        rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(
            topic.c_str(), static_cast<int>(a.num("partitions", 1)), 1, err, sizeof err);
        if (nt == nullptr) {
            die(err);
        }
        rd_kafka_CreateTopics(rk, &nt, 1, nullptr, q);
        rd_kafka_NewTopic_destroy(nt);
    } else {
        rd_kafka_DeleteTopic_t* dt = rd_kafka_DeleteTopic_new(topic.c_str());
        rd_kafka_DeleteTopics(rk, &dt, 1, nullptr, q);
        rd_kafka_DeleteTopic_destroy(dt);
    }
    rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 60000);
    int rc = 0;
    std::string error;
    if (ev == nullptr) {
        rc = 1;
        error = "timed out";
    } else if (rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        rc = 1;
        error = rd_kafka_event_error_string(ev);
    } else {
        size_t cnt = 0;
        const rd_kafka_topic_result_t** res =
            create ? rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &cnt)
                   : rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev), &cnt);
        for (size_t i = 0; i < cnt; ++i) {
            auto e = rd_kafka_topic_result_error(res[i]);
            if (e != RD_KAFKA_RESP_ERR_NO_ERROR &&
                !(create && e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) &&
                !(!create && e == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)) {
                rc = 1;
                error = rd_kafka_err2str(e);
            }
        }
    }
    if (ev != nullptr) {
        rd_kafka_event_destroy(ev);
    }
    if (create && rc == 0) {
        partitions_of(rk, topic, mono_s() + 30);  // wait until the metadata shows it
    }
    rd_kafka_queue_destroy(q);
    rd_kafka_destroy(rk);
    std::printf("{\"ok\": %s, \"topic\": \"%s\", \"error\": \"%s\"}\n", rc == 0 ? "true" : "false",
                topic.c_str(), error.c_str());
    return rc;
}

// ---- produce ---------------------------------------------------------------------------------

struct ProduceStats {
    std::atomic<int64_t> delivered{0};
    std::atomic<int64_t> failed{0};
};

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    auto* st = static_cast<ProduceStats*>(opaque);
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (st->failed.fetch_add(1) < 5) {
            std::fprintf(stderr, "kmirror-loadgen: delivery failed: %s\n", rd_kafka_err2str(m->err));
        }
    } else {
        st->delivered.fetch_add(1, std::memory_order_relaxed);
    }
}

int produce(const Args& a) {
    const std::string topic = a.need("topic");
    const int64_t n = a.num("records", 0);
    const size_t size = static_cast<size_t>(a.num("size", 1024));
    const double rate_mbps = a.real("rate-mbps", 0);
    ProduceStats st;
    rd_kafka_conf_t* conf = base_conf(a);
    set(conf, "acks", "all");
    set(conf, "linger.ms", a.get("linger-ms", "5"));
    set(conf, "compression.type", a.get("compression", "none"));
    set(conf, "queue.buffering.max.kbytes", "262144");
    set(conf, "queue.buffering.max.messages", "1000000");
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, &st);
    rd_kafka_t* rk = make(RD_KAFKA_PRODUCER, conf);
    const int parts = partitions_of(rk, topic, mono_s() + 30);
    if (parts <= 0) {
        die("topic " + topic + " not found");
    }
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
    Rng rng(static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()));
    std::vector<char> key(kKeyBytes), value(size), hv(kHeaderValueBytes);
    const double rec_bytes = static_cast<double>(size + record_overhead());
    const double t0 = mono_s();
    const double t0_wall = now_s();
    for (int64_t i = 0; i < n && !g_stop.load(); ++i) {
        if (rate_mbps > 0) {
            const double due = t0 + (static_cast<double>(i) * rec_bytes) / (rate_mbps * 1e6);
            // Sleep at least 1 ms at a time and then send everything that has come due: a
            // producer that spins between records (about 100 us apart at 10 MB/s) takes a core
            // from the brokers it measures, which shows as latency on a 2-core machine.
            for (double now = mono_s(); now < due; now = mono_s()) {
                rd_kafka_poll(rk, 0);
                std::this_thread::sleep_for(std::chrono::microseconds(
                    static_cast<int64_t>(std::clamp(due - now, 0.001, 0.005) * 1e6)));
            }
        }
        rng.fill(key.data(), key.size());
        rng.fill(value.data(), value.size());
        rd_kafka_headers_t* hdrs = rd_kafka_headers_new(2);
        for (const char* h : kHeaderNames) {
            rng.fill(hv.data(), hv.size());
            rd_kafka_header_add(hdrs, h, -1, hv.data(), static_cast<ssize_t>(hv.size()));
        }
        while (true) {
            auto err = rd_kafka_producev(
                rk, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_PARTITION(static_cast<int32_t>(i % parts)),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key.data(), key.size()),
                RD_KAFKA_V_VALUE(value.data(), value.size()), RD_KAFKA_V_HEADERS(hdrs),
                RD_KAFKA_V_END);
            if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
                break;
            }
            if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                rd_kafka_poll(rk, 10);
                continue;
            }
            die(std::string("produce: ") + rd_kafka_err2str(err));
        }
        if ((i & 1023) == 0) {
            rd_kafka_poll(rk, 0);
        }
    }
    while (rd_kafka_outq_len(rk) > 0 && !g_stop.load()) {
        rd_kafka_poll(rk, 50);
    }
    const double secs = mono_s() - t0;
    rd_kafka_topic_destroy(rkt);
    rd_kafka_flush(rk, 10000);
    rd_kafka_destroy(rk);
    const double bytes = rec_bytes * static_cast<double>(st.delivered.load());
    std::printf("{\"records\": %" PRId64 ", \"failed\": %" PRId64
                ", \"bytes\": %.0f, \"seconds\": %.3f, \"mb_per_s\": %.2f, \"records_per_s\": %.0f, "
                "\"started_at\": %.3f, \"rate_mbps\": %.2f, \"partitions\": %d}\n",
                st.delivered.load(), st.failed.load(), bytes, secs, bytes / secs / 1e6,
                static_cast<double>(st.delivered.load()) / secs, t0_wall, rate_mbps, parts);
    return st.failed.load() == 0 && st.delivered.load() == n ? 0 : 1;
}

// ---- consume / latency -----------------------------------------------------------------------

int consume(const Args& a, bool latency) {
    const std::string topic = a.need("topic");
    const int64_t n = a.num("records", 0);
    const double timeout = a.real("timeout", 600);
    rd_kafka_conf_t* conf = base_conf(a);
    set(conf, "group.id", "kmirror-loadgen");
    set(conf, "enable.auto.commit", "false");
    set(conf, "enable.partition.eof", "false");
    set(conf, "fetch.wait.max.ms", latency ? "100" : "500");
    rd_kafka_t* rk = make(RD_KAFKA_CONSUMER, conf);
    const double deadline = mono_s() + timeout;
    const int parts = partitions_of(rk, topic, deadline);
    if (parts <= 0) {
        die("topic " + topic + " not found");
    }
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(parts);
    for (int p = 0; p < parts; ++p) {
        rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset =
            a.get("from", "beginning") == "end" ? RD_KAFKA_OFFSET_END : RD_KAFKA_OFFSET_BEGINNING;
    }
    rd_kafka_assign(rk, list);
    rd_kafka_topic_partition_list_destroy(list);
    std::vector<float> lat_ms;
    // --dump FILE: one line per record (consume time s, latency ms, partition, offset).
    FILE* dump = a.get("dump", "").empty() ? nullptr : std::fopen(a.get("dump", "").c_str(), "w");
    if (latency) {
        lat_ms.reserve(static_cast<size_t>(std::max<int64_t>(n, 0)));
    }
    int64_t count = 0;
    double bytes = 0;
    const int64_t skip_ms = static_cast<int64_t>(a.real("skip-seconds", 0) * 1000);
    int64_t first_ts = -1;
    int64_t warm = 0; // warm-up records read (--skip-seconds); they count towards RECORDS
    const double t0 = mono_s();
    while (count + warm < n && !g_stop.load() && mono_s() < deadline) {
        rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 200);
        if (m == nullptr) {
            continue;
        }
        if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                std::fprintf(stderr, "kmirror-loadgen: consume: %s\n", rd_kafka_message_errstr(m));
            }
            rd_kafka_message_destroy(m);
            continue;
        }
        if (latency && skip_ms > 0) {
            rd_kafka_timestamp_type_t tt;
            const int64_t ts = rd_kafka_message_timestamp(m, &tt);
            if (first_ts < 0) {
                first_ts = ts;
            }
            if (ts < first_ts + skip_ms) {
                ++warm;
                rd_kafka_message_destroy(m);
                continue;
            }
        }
        ++count;
        bytes += static_cast<double>(m->len + m->key_len);
        rd_kafka_headers_t* hdrs = nullptr;
        if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            const char* name = nullptr;
            const void* val = nullptr;
            size_t sz = 0;
            for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &val, &sz) ==
                               RD_KAFKA_RESP_ERR_NO_ERROR;
                 ++i) {
                bytes += static_cast<double>(std::strlen(name) + sz);
            }
        }
        if (latency) {
            rd_kafka_timestamp_type_t tt;
            const int64_t ts = rd_kafka_message_timestamp(m, &tt);
            const auto now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count();
            lat_ms.push_back(static_cast<float>(static_cast<double>(now_us) / 1000.0 -
                                                static_cast<double>(ts)));
            if (dump != nullptr) {
                std::fprintf(dump, "%.6f %.2f %d %" PRId64 "\n",
                             static_cast<double>(now_us) / 1e6, lat_ms.back(), m->partition,
                             m->offset);
            }
        }
        rd_kafka_message_destroy(m);
    }
    const double secs = mono_s() - t0;
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    if (dump != nullptr) {
        std::fclose(dump);
    }
    if (latency) {
        std::sort(lat_ms.begin(), lat_ms.end());
        auto pct = [&](double q) -> double {
            if (lat_ms.empty()) {
                return -1;
            }
            size_t idx = static_cast<size_t>(q * static_cast<double>(lat_ms.size() - 1) + 0.5);
            return lat_ms[std::min(idx, lat_ms.size() - 1)];
        };
        std::printf("{\"records\": %" PRId64 ", \"warmup\": %" PRId64 ", \"expected\": %" PRId64
                    ", \"bytes\": %.0f, \"p50_ms\": %.2f, \"p99_ms\": %.2f, \"p999_ms\": %.2f, "
                    "\"max_ms\": %.2f, \"min_ms\": %.2f}\n",
                    count, warm, n, bytes, pct(0.5), pct(0.99), pct(0.999), pct(1.0), pct(0.0));
    } else {
        std::printf("{\"records\": %" PRId64 ", \"expected\": %" PRId64
                    ", \"bytes\": %.0f, \"seconds\": %.3f, \"mb_per_s\": %.2f, "
                    "\"records_per_s\": %.0f}\n",
                    count, n, bytes, secs, bytes / secs / 1e6, static_cast<double>(count) / secs);
    }
    return count + warm >= n ? 0 : 1;
}

// ---- wait (catch-up completion) --------------------------------------------------------------

int wait_offsets(const Args& a) {
    const std::string topic = a.need("topic");
    const int64_t n = a.num("records", 0);
    const double timeout = a.real("timeout", 3600);
    const int interval_ms = static_cast<int>(a.num("interval-ms", 200));
    rd_kafka_conf_t* conf = base_conf(a);
    set(conf, "group.id", "kmirror-loadgen-wait");
    rd_kafka_t* rk = make(RD_KAFKA_CONSUMER, conf);
    const double deadline = mono_s() + timeout;
    int parts = -1;
    double first_at = 0;
    int64_t total = 0;
    while (!g_stop.load() && mono_s() < deadline) {
        if (parts <= 0) {
            parts = partitions_of(rk, topic, mono_s());  // one attempt
        }
        if (parts > 0) {
            int64_t sum = 0;
            bool ok = true;
            for (int p = 0; p < parts && ok; ++p) {
                int64_t lo = 0, hi = 0;
                ok = rd_kafka_query_watermark_offsets(rk, topic.c_str(), p, &lo, &hi, 5000) ==
                     RD_KAFKA_RESP_ERR_NO_ERROR;
                sum += hi;
            }
            if (ok) {
                total = sum;
                if (total > 0 && first_at == 0) {
                    first_at = now_s();
                }
                if (total >= n) {
                    break;
                }
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
    }
    const double done_at = now_s();
    rd_kafka_destroy(rk);
    std::printf("{\"records\": %" PRId64 ", \"expected\": %" PRId64
                ", \"done\": %s, \"first_at\": %.3f, \"done_at\": %.3f}\n",
                total, n, total >= n ? "true" : "false", first_at, done_at);
    return total >= n ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    std::signal(SIGINT, [](int) { g_stop.store(true); });
    std::signal(SIGTERM, [](int) { g_stop.store(true); });
    Args a = parse(argc, argv);
    if (a.cmd == "create-topic") {
        return admin_topic(a, true);
    }
    if (a.cmd == "delete-topic") {
        return admin_topic(a, false);
    }
    if (a.cmd == "produce") {
        return produce(a);
    }
    if (a.cmd == "consume") {
        return consume(a, false);
    }
    if (a.cmd == "latency") {
        return consume(a, true);
    }
    if (a.cmd == "wait") {
        return wait_offsets(a);
    }
    die("unknown command " + a.cmd);
}
