#include "mirror/batch_forwarder.h"

#include "util/log.h"

#include <algorithm>
#include <poll.h>

namespace kmirror::mirror {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kLookupRetry = std::chrono::milliseconds(500);
constexpr auto kReconnectDelay = std::chrono::seconds(1);
constexpr auto kProducerIdRetry = std::chrono::seconds(1);
constexpr size_t kMaxRequestsPerConnection = 5;
// A broker that closes the connection this many times in a row without answering anything
// does not want the forwarder's requests.
constexpr int kMaxLostInARow = 5;
// A partition stops being fetched while this many bytes of it wait to be produced.
constexpr int64_t kQueuedPartitionFetches = 4;
// With some partitions left out of a fetch (their batches wait), the fetch waits this long at
// most, so they are fetched again soon after their batches go out.
constexpr int32_t kShortFetchWaitMs = 10;

bool needs_new_leader(int16_t error) {
    switch (error) {
    case 3:  // unknown topic or partition (moments after a leader change or a creation)
    case 5:  // leader not available
    case 6:  // not leader or follower
    case 9:  // replica not available
    case 56: // storage error
    case 74: // fenced leader epoch
    case 75: // unknown leader epoch
        return true;
    default:
        return false;
    }
}

bool retriable_produce_error(int16_t error) {
    return needs_new_leader(error) || error == 7 /* request timed out */ ||
           error == 19 /* not enough replicas */ || error == 20 /* after append */ ||
           error == 13 /* network exception */;
}

// The target refuses the batch as it is; the record path makes batches of its own.
bool batch_refused(int16_t error) {
    return error == wire::kErrMessageTooLarge || error == 2 /* corrupt message */ ||
           error == 18 /* record list too large */ || error == 87 /* invalid record */ ||
           error == 32 /* invalid timestamp */;
}

// Coordinator moving or loading, a timeout: asking again later helps.
bool retriable_producer_id_error(int16_t error) {
    return error == 7 || error == 14 || error == 15 || error == 16 || error == 51;
}

bool producer_id_lost(int16_t error) {
    return error == wire::kErrOutOfOrderSequence || error == wire::kErrInvalidProducerEpoch ||
           error == wire::kErrUnknownProducerId || error == 90 /* producer fenced */;
}

} // namespace

BatchForwarder::BatchForwarder(ForwarderSettings settings, LeaderLookup leaders,
                               ForwarderEvents& events)
    : settings_(std::move(settings)), leaders_(std::move(leaders)), events_(events) {}

BatchForwarder::~BatchForwarder() = default;

std::string BatchForwarder::cluster_of(const std::string& conn_key) const {
    return "cluster '" +
           (conn_key.rfind("s|", 0) == 0 ? settings_.source_alias : settings_.target_alias) + "'";
}

std::string BatchForwarder::where(const Key& key, const Partition& p, bool source) const {
    return source ? "cluster '" + settings_.source_alias + "' topic '" + p.source_topic +
                        "' partition " + std::to_string(key.second)
                  : "cluster '" + settings_.target_alias + "' topic '" + key.first +
                        "' partition " + std::to_string(key.second);
}

void BatchForwarder::add(const Key& key, const std::string& source_topic, int64_t offset) {
    remove(key);
    Partition p;
    p.source_topic = source_topic;
    p.fetch_offset = offset;
    p.generation = next_request_++;
    auto seq = acked_sequence_.find(key);
    p.next_sequence = seq == acked_sequence_.end() ? 0 : seq->second;
    by_source_[{source_topic, key.second}] = key;
    auto& added = partitions_.emplace(key, std::move(p)).first->second;
    if (!unusable_.empty()) {
        added.handoff = {offset, unusable_}; // reported by the next service()
        return;
    }
    locate(key, added);
}

void BatchForwarder::remove(const Key& key) {
    auto it = partitions_.find(key);
    if (it == partitions_.end()) {
        return;
    }
    buffered_bytes_ -= it->second.buffered_bytes;
    for (const auto& f : it->second.in_flight) {
        in_flight_bytes_ -= f.bytes;
    }
    by_source_.erase({it->second.source_topic, key.second});
    partitions_.erase(it);
}

int64_t BatchForwarder::records_pending(const Key& key) const {
    auto it = partitions_.find(key);
    if (it == partitions_.end()) {
        return 0;
    }
    int64_t n = records_in_flight(key);
    for (const auto& q : it->second.queued) {
        n += q.header.record_count;
    }
    return n;
}

void BatchForwarder::stop_fetching(const Key& key) {
    auto it = partitions_.find(key);
    if (it == partitions_.end()) {
        return;
    }
    Partition& p = it->second;
    p.stopped = true;
    buffered_bytes_ -= p.buffered_bytes;
    p.buffered_bytes = 0;
    p.queued.clear();
    p.handoff.reset();
}

int64_t BatchForwarder::records_in_flight(const Key& key) const {
    auto it = partitions_.find(key);
    if (it == partitions_.end()) {
        return 0;
    }
    int64_t n = 0;
    for (const auto& f : it->second.in_flight) {
        n += f.records;
    }
    return n;
}

std::pair<int64_t, int64_t> BatchForwarder::lag_inputs(const Key& key) const {
    auto it = partitions_.find(key);
    if (it == partitions_.end()) {
        return {-1, -1};
    }
    return {it->second.high_watermark, it->second.fetch_offset};
}

ForwarderFetchStats BatchForwarder::take_fetch_stats() {
    ForwarderFetchStats out;
    out.rx_bytes = rx_bytes_;
    if (fetches_ > 0) {
        out.latency_avg_ms = fetch_latency_sum_ms_ / static_cast<double>(fetches_);
        out.latency_max_ms = fetch_latency_max_ms_;
    }
    fetch_latency_sum_ms_ = 0;
    fetch_latency_max_ms_ = 0;
    fetches_ = 0;
    for (const auto& [key, p] : partitions_) {
        if (p.high_watermark >= 0) {
            out.lags.push_back({p.source_topic, key.second,
                                std::max<int64_t>(0, p.high_watermark - p.fetch_offset)});
        }
    }
    return out;
}

// The target leader is only looked up with nothing in flight (a new partition, or a rewind):
// a partition's acknowledgements must all come from one connection, in order.
void BatchForwarder::locate(const Key& key, Partition& p) {
    if (p.source_broker.empty()) {
        if (auto source = leaders_(true, p.source_topic, key.second)) {
            p.source_broker = "s|" + source->key();
            addresses_[p.source_broker] = *source;
        }
    }
    if (p.target_broker.empty() && p.in_flight.empty()) {
        if (auto target = leaders_(false, key.first, key.second)) {
            p.target_broker = "t|" + target->key();
            addresses_[p.target_broker] = *target;
        }
    }
    if (p.source_broker.empty() || p.target_broker.empty()) {
        p.lookup_at = Clock::now() + kLookupRetry;
    }
}

wire::BrokerConnection* BatchForwarder::connection(const std::string& key,
                                                   const BrokerAddress* address) {
    if (auto it = connections_.find(key); it != connections_.end()) {
        return produce_version_.count(key) != 0 ? it->second.get() : nullptr;
    }
    if (address == nullptr) {
        return nullptr;
    }
    if (auto r = reconnect_at_.find(key); r != reconnect_at_.end() && Clock::now() < r->second) {
        return nullptr;
    }
    auto conn =
        std::make_unique<wire::BrokerConnection>(address->host, address->port, settings_.client_id);
    if (!conn->connect()) {
        log::warn("batch forwarding: " + cluster_of(key) + " " + conn->error() + "; retrying");
        reconnect_at_[key] = Clock::now() + kReconnectDelay;
        return nullptr;
    }
    const uint64_t id = next_request_++;
    requests_[id] = {RequestKind::api_versions, key, {}};
    conn->send(wire::kApiVersions, 0, {}, id);
    connections_.emplace(key, std::move(conn));
    return nullptr;
}

void BatchForwarder::on_api_versions(const std::string& conn_key, std::string_view body) {
    auto offered = wire::decode_api_versions(body);
    auto chosen =
        offered ? wire::choose_versions(*offered) : Result<wire::ChosenVersions>(offered.error());
    if (!chosen) {
        give_up(cluster_of(conn_key) + " broker " + conn_key.substr(2) + ": " +
                chosen.error().message);
        return;
    }
    produce_version_[conn_key] = chosen->produce;
}

void BatchForwarder::give_up(const std::string& why) {
    if (!unusable_.empty()) {
        return;
    }
    unusable_ = why;
    log::warn("batch forwarding is not possible (" + why + "); copying record by record instead");
    for (auto& [key, p] : partitions_) {
        rewind(key, p, false);
        p.handoff = {p.fetch_offset, why};
    }
}

void BatchForwarder::request_producer_id() {
    if (producer_.producer_id >= 0 || producer_id_requested_ ||
        Clock::now() < producer_id_retry_at_) {
        return;
    }
    for (auto& [key, p] : partitions_) {
        if (p.target_broker.empty()) {
            continue;
        }
        auto* conn = connection(p.target_broker, &addresses_[p.target_broker]);
        if (conn == nullptr) {
            continue;
        }
        const uint64_t id = next_request_++;
        requests_[id] = {RequestKind::producer_id, p.target_broker, {}};
        conn->send(wire::kApiInitProducerId, wire::kInitProducerIdVersion,
                   wire::encode_init_producer_id(settings_.request_timeout_ms), id);
        producer_id_requested_ = true;
        return;
    }
}

void BatchForwarder::send_fetches() {
    if (buffered_bytes_ >= settings_.max_buffered_bytes / 2) {
        return;
    }
    // One fetch at a time per source broker, for all its partitions that have room.
    std::map<std::string, std::vector<std::pair<Key, Partition*>>> by_broker;
    std::map<std::string, bool> some_left_out;
    const auto now = Clock::now();
    for (auto& [key, p] : partitions_) {
        if ((p.source_broker.empty() || p.target_broker.empty()) && now >= p.lookup_at) {
            locate(key, p);
        }
        if (p.source_broker.empty() || p.fetching || p.handoff || p.stopped) {
            continue;
        }
        if (p.buffered_bytes >= kQueuedPartitionFetches * settings_.partition_max_bytes ||
            static_cast<int>(p.queued.size()) >= 4 * settings_.max_batches_in_flight) {
            some_left_out[p.source_broker] = true;
            continue;
        }
        by_broker[p.source_broker].emplace_back(key, &p);
    }
    ++fetch_rotation_;
    for (auto& [broker, list] : by_broker) {
        auto* conn = connection(broker, &addresses_[broker]);
        if (conn == nullptr || conn->in_flight() > 0) {
            continue;
        }
        // Rotate the order: a broker may return only part of a big batch for partitions after
        // the first, so each partition must come first now and then.
        std::rotate(list.begin(), list.begin() + static_cast<long>(fetch_rotation_ % list.size()),
                    list.end());
        std::vector<wire::FetchTopicRequest> topics;
        Request request{RequestKind::fetch, broker, {}};
        for (auto& [key, p] : list) {
            if (topics.empty() || topics.back().topic != p->source_topic) {
                topics.push_back({p->source_topic, {}});
            }
            topics.back().partitions.push_back(
                {key.second, p->fetch_offset, settings_.partition_max_bytes});
            request.partitions.emplace_back(key, p->generation);
            p->fetching = true;
        }
        const int32_t max_bytes = static_cast<int32_t>(std::min<int64_t>(
            settings_.fetch_max_bytes, settings_.max_buffered_bytes / 2 - buffered_bytes_));
        const int32_t wait =
            some_left_out[broker] ? kShortFetchWaitMs : settings_.fetch_max_wait_ms;
        const uint64_t id = next_request_++;
        request.sent = Clock::now();
        requests_[id] = std::move(request);
        conn->send(wire::kApiFetch, wire::kFetchVersion,
                   wire::encode_fetch(wait, 1, std::max<int32_t>(max_bytes, 1 << 20),
                                      settings_.isolation, topics),
                   id);
    }
}

void BatchForwarder::send_produces() {
    if (producer_.producer_id < 0) {
        request_producer_id();
        return;
    }
    std::map<std::string, std::vector<std::pair<Key, Partition*>>> by_broker;
    for (auto& [key, p] : partitions_) {
        if (!p.target_broker.empty() && !p.queued.empty()) {
            by_broker[p.target_broker].emplace_back(key, &p);
        }
    }
    for (auto& [broker, list] : by_broker) {
        auto* conn = connection(broker, &addresses_[broker]);
        while (conn != nullptr && conn->in_flight() < kMaxRequestsPerConnection &&
               in_flight_bytes_ < settings_.max_buffered_bytes / 2) {
            std::vector<wire::ProduceTopic> topics;
            std::vector<std::pair<Key, Partition*>> included;
            for (auto& [key, p] : list) {
                // A broker that holds no state of this producer id for the partition takes any
                // sequence number: until a batch of the partition is acknowledged, a later batch
                // could be written before an earlier one that failed. So one at a time until
                // then; after that the broker refuses a batch out of sequence.
                const int limit =
                    acked_sequence_.count(key) != 0 ? settings_.max_batches_in_flight : 1;
                if (p->queued.empty() || static_cast<int>(p->in_flight.size()) >= limit) {
                    continue;
                }
                if (topics.empty() || topics.back().topic != key.first) {
                    topics.push_back({key.first, {}});
                }
                topics.back().batches.push_back({key.second, p->queued.front().batch});
                included.emplace_back(key, p);
            }
            if (included.empty()) {
                break;
            }
            std::vector<size_t> batch_at;
            std::string body =
                wire::encode_produce(-1, settings_.request_timeout_ms, topics, batch_at);
            const int16_t version = produce_version_[broker];
            const uint64_t id = next_request_++;
            Request request{RequestKind::produce, broker, {}, version};
            for (size_t i = 0; i < included.size(); ++i) {
                auto& [key, p] = included[i];
                Queued q = std::move(p->queued.front());
                p->queued.pop_front();
                const auto size = static_cast<int64_t>(q.batch.size());
                p->buffered_bytes -= size;
                buffered_bytes_ -= size;
                wire::rewrite_for_produce(body.data() + batch_at[i], q.batch.size(),
                                          producer_.producer_id, producer_.epoch, p->next_sequence);
                const int64_t records = q.header.record_count;
                const auto next = static_cast<int32_t>(
                    (static_cast<int64_t>(p->next_sequence) + records) % (int64_t{1} << 31));
                p->in_flight.push_back({q.header.base_offset, q.header.record_count, size,
                                        q.record_bytes, q.header.max_timestamp, next, id});
                in_flight_bytes_ += size;
                p->next_sequence = next;
                request.partitions.emplace_back(key, p->generation);
            }
            requests_[id] = std::move(request);
            conn->send(wire::kApiProduce, version, body, id);
        }
    }
}

void BatchForwarder::service(int timeout_ms) {
    send_fetches();
    send_produces();
    std::vector<pollfd> fds;
    std::vector<std::string> keys;
    for (auto& [key, conn] : connections_) {
        fds.push_back({conn->fd(), conn->events(), 0});
        keys.push_back(key);
    }
    // With no connection (leaders unknown, reconnect pending) this is the caller's wait.
    if (::poll(fds.data(), fds.size(), timeout_ms) <= 0) {
        finish_handoffs();
        return;
    }
    std::vector<wire::Response> responses;
    for (size_t i = 0; i < fds.size(); ++i) {
        auto it = connections_.find(keys[i]);
        if (it == connections_.end() || (fds[i].revents == 0 && !it->second->failed())) {
            continue; // (a send that failed outside service() shows here)
        }
        responses.clear();
        const bool alive = it->second->service(fds[i].revents, responses);
        if (!responses.empty()) {
            lost_in_a_row_.erase(keys[i]);
        }
        for (const auto& r : responses) {
            on_response(r);
        }
        if (!alive) {
            on_connection_lost(keys[i], it->second->error());
        }
    }
    finish_handoffs();
    // Reported after the bookkeeping: the task may act on the partitions at once.
    auto failures = std::move(failures_);
    failures_.clear();
    for (const auto& [key, what] : failures) {
        remove(key);
        events_.on_failed(key, what.first, what.second);
    }
    send_fetches();
    send_produces();
}

void BatchForwarder::on_response(const wire::Response& response) {
    auto it = requests_.find(response.tag);
    if (it == requests_.end()) {
        return;
    }
    Request request = std::move(it->second);
    requests_.erase(it);
    switch (request.kind) {
    case RequestKind::fetch: {
        const double ms =
            std::chrono::duration<double, std::milli>(Clock::now() - request.sent).count();
        fetch_latency_sum_ms_ += ms;
        fetch_latency_max_ms_ = std::max(fetch_latency_max_ms_, ms);
        ++fetches_;
        rx_bytes_ += static_cast<int64_t>(response.data->size()) + 4;
        on_fetch(request, response.body(), response.data);
        break;
    }
    case RequestKind::produce:
        on_produce(request, response.tag, response.body());
        break;
    case RequestKind::producer_id:
        on_producer_id(response.body());
        break;
    case RequestKind::api_versions:
        on_api_versions(request.connection, response.body());
        break;
    }
}

void BatchForwarder::on_producer_id(std::string_view body) {
    producer_id_requested_ = false;
    auto id = wire::decode_init_producer_id(body);
    const std::string where = "cluster '" + settings_.target_alias + "': ";
    if (id && id->error != 0 && !retriable_producer_id_error(id->error)) {
        // E.g. not authorized to write idempotently: the record path reports it its own way.
        give_up(where + "InitProducerId failed with error code " + std::to_string(id->error));
        return;
    }
    if (!id || id->error != 0) {
        log::warn("batch forwarding: " + where + "cannot get a producer id: " +
                  (id ? "error code " + std::to_string(id->error) : id.error().message) +
                  "; retrying");
        producer_id_retry_at_ = Clock::now() + kProducerIdRetry;
        return;
    }
    producer_ = *id;
    log::debug("batch forwarding: cluster '" + settings_.target_alias + "': producer id " +
               std::to_string(producer_.producer_id) + " epoch " + std::to_string(producer_.epoch));
}

void BatchForwarder::on_fetch(const Request& request, std::string_view body,
                              const std::shared_ptr<std::string>& data) {
    for (const auto& [key, generation] : request.partitions) {
        auto it = partitions_.find(key);
        if (it != partitions_.end() && it->second.generation == generation) {
            it->second.fetching = false;
        }
    }
    auto decoded = wire::decode_fetch(body);
    if (!decoded) {
        log::warn("batch forwarding: cluster '" + settings_.source_alias +
                  "': " + decoded.error().message);
        return;
    }
    for (const auto& topic : decoded->topics) {
        for (const auto& fetched : topic.partitions) {
            auto source = by_source_.find({topic.topic, fetched.partition});
            if (source == by_source_.end()) {
                continue;
            }
            const Key key = source->second;
            auto it = partitions_.find(key);
            if (it == partitions_.end()) {
                continue;
            }
            const bool asked = std::any_of(
                request.partitions.begin(), request.partitions.end(),
                [&](const auto& e) { return e.first == key && e.second == it->second.generation; });
            if (!asked) {
                continue;
            }
            take_fetched(key, it->second, fetched, data);
        }
    }
}

void BatchForwarder::take_fetched(const Key& key, Partition& p,
                                  const wire::FetchPartitionResponse& fetched,
                                  const std::shared_ptr<std::string>& data) {
    if (fetched.error != 0) {
        if (needs_new_leader(fetched.error)) {
            p.source_broker.clear();
            p.lookup_at = Clock::now() + kLookupRetry;
        } else if (fetched.error == wire::kErrOffsetOutOfRange) {
            // The record path applies auto.offset.reset and reports what retention took.
            p.handoff = {p.fetch_offset, "offset " + std::to_string(p.fetch_offset) +
                                             " is out of range on the source"};
        } else {
            failures_.push_back(
                {key,
                 {p.fetch_offset, where(key, p, true) + ": fetch failed with error code " +
                                      std::to_string(fetched.error)}});
        }
        return;
    }
    if (fetched.high_watermark >= 0) {
        p.high_watermark = fetched.high_watermark;
    }
    if (p.stopped) {
        return;
    }
    std::optional<wire::ReadCommittedFilter> filter;
    if (settings_.isolation == 1) {
        filter.emplace(fetched.aborted);
    }
    int32_t records = 0;
    int64_t value_bytes = 0;
    int64_t max_timestamp = -1;
    for (const auto& slice : wire::split_batches(fetched.records)) {
        const auto& h = slice.header;
        const std::string_view batch = fetched.records.substr(slice.offset, slice.size);
        if (h.magic == 2 && h.last_offset() < p.fetch_offset) {
            continue; // before the fetch position (a broker returns whole batches)
        }
        if (h.magic == 2 && h.base_offset >= p.fetch_offset &&
            ((filter && filter->classify(h, batch) == wire::BatchAction::skip) || h.control())) {
            p.fetch_offset = h.last_offset() + 1; // transaction marker or aborted data
            continue;
        }
        if (auto obstacle =
                wire::forwarding_obstacle(h, p.fetch_offset, settings_.producer_compression)) {
            p.handoff = {p.fetch_offset, *obstacle};
            break;
        }
        // Compressed batches count the bytes of their records as sent (no decompression here).
        const auto sizes = wire::record_bytes(batch);
        const int64_t values =
            sizes ? sizes->values : static_cast<int64_t>(slice.size - wire::kBatchHeaderSize);
        p.queued.push_back({data, batch, h, sizes ? sizes->keys + sizes->values : values});
        value_bytes += values;
        p.buffered_bytes += static_cast<int64_t>(slice.size);
        buffered_bytes_ += static_cast<int64_t>(slice.size);
        p.fetch_offset = h.last_offset() + 1;
        records += h.record_count;
        max_timestamp = std::max(max_timestamp, h.max_timestamp);
    }
    if (records > 0) {
        events_.on_fetched(key, records, value_bytes, max_timestamp);
    }
}

void BatchForwarder::on_produce(const Request& request, uint64_t request_id,
                                std::string_view body) {
    auto decoded = wire::decode_produce(body, request.version);
    std::map<Key, const wire::ProducePartitionResponse*> answers;
    if (decoded) {
        for (const auto& topic : *decoded) {
            for (const auto& p : topic.partitions) {
                answers[{topic.topic, p.partition}] = &p;
            }
        }
    } else {
        log::warn("batch forwarding: cluster '" + settings_.target_alias +
                  "': " + decoded.error().message);
    }
    bool renew_producer_id = false;
    for (const auto& [key, generation] : request.partitions) {
        auto it = partitions_.find(key);
        if (it == partitions_.end() || it->second.generation != generation ||
            it->second.in_flight.empty()) {
            continue;
        }
        Partition& p = it->second;
        auto answer = answers.find(key);
        const int16_t error = answer == answers.end() ? int16_t{13} : answer->second->error;
        if (error == 0) {
            if (p.in_flight.front().request != request_id) {
                // Not the batch this response is for: never map offsets on a guess.
                log::warn(where(key, p, false) + ": acknowledgement out of order; sending again");
                rewind(key, p, true);
                continue;
            }
            const InFlight done = p.in_flight.front();
            p.in_flight.pop_front();
            in_flight_bytes_ -= done.bytes;
            acked_sequence_[key] = done.next_sequence;
            events_.on_forwarded(key, {done.upstream, answer->second->base_offset, done.records,
                                       done.record_bytes, done.max_timestamp});
            continue;
        }
        const std::string why = where(key, p, false) +
                                ": produce of the batch from source offset " +
                                std::to_string(p.in_flight.front().upstream) +
                                " failed with error code " + std::to_string(error) +
                                (answer != answers.end() && !answer->second->error_message.empty()
                                     ? " (" + answer->second->error_message + ")"
                                     : "");
        if (producer_id_lost(error)) {
            log::warn(why + "; starting again with a new producer id");
            renew_producer_id = true;
        } else if (retriable_produce_error(error)) {
            log::info(why + "; sending again");
            rewind(key, p, needs_new_leader(error));
        } else if (batch_refused(error)) {
            const int64_t upstream = p.in_flight.front().upstream;
            rewind(key, p, false);
            p.handoff = {upstream, why};
        } else {
            failures_.push_back({key, {p.in_flight.front().upstream, why}});
            rewind(key, p, false);
        }
    }
    if (renew_producer_id) {
        new_producer_id();
    }
}

void BatchForwarder::rewind(const Key& key, Partition& p, bool relocate) {
    if (!p.in_flight.empty()) {
        p.fetch_offset = p.in_flight.front().upstream;
    } else if (!p.queued.empty()) {
        p.fetch_offset = p.queued.front().header.base_offset;
    }
    buffered_bytes_ -= p.buffered_bytes;
    p.buffered_bytes = 0;
    for (const auto& f : p.in_flight) {
        in_flight_bytes_ -= f.bytes;
    }
    p.queued.clear();
    p.in_flight.clear();
    p.fetching = false;
    p.handoff.reset(); // found again when the batch is fetched again
    p.generation = next_request_++;
    auto seq = acked_sequence_.find(key);
    p.next_sequence = seq == acked_sequence_.end() ? 0 : seq->second;
    if (relocate) {
        p.source_broker.clear();
        p.target_broker.clear();
        p.lookup_at = Clock::now() + kLookupRetry;
    }
}

void BatchForwarder::new_producer_id() {
    acked_sequence_.clear();
    for (auto& [key, p] : partitions_) {
        rewind(key, p, false);
    }
    producer_ = {};
}

void BatchForwarder::on_connection_lost(const std::string& conn_key, const std::string& why) {
    if (++lost_in_a_row_[conn_key] >= kMaxLostInARow) {
        give_up(cluster_of(conn_key) + " " + why + " (" + std::to_string(kMaxLostInARow) +
                " times without an answer)");
    } else {
        log::warn("batch forwarding: " + cluster_of(conn_key) + " " + why + "; reconnecting");
    }
    connections_.erase(conn_key);
    produce_version_.erase(conn_key);
    reconnect_at_[conn_key] = Clock::now() + kReconnectDelay;
    for (auto it = requests_.begin(); it != requests_.end();) {
        if (it->second.connection != conn_key) {
            ++it;
            continue;
        }
        if (it->second.kind == RequestKind::producer_id) {
            producer_id_requested_ = false;
        }
        it = requests_.erase(it);
    }
    for (auto& [key, p] : partitions_) {
        if (p.source_broker == conn_key || p.target_broker == conn_key) {
            rewind(key, p, true);
        }
    }
}

void BatchForwarder::finish_handoffs() {
    std::vector<std::pair<Key, std::pair<int64_t, std::string>>> ready;
    for (auto& [key, p] : partitions_) {
        if (p.handoff && p.in_flight.empty() && p.queued.empty()) {
            ready.emplace_back(key, *p.handoff);
        }
    }
    for (const auto& [key, handoff] : ready) {
        remove(key);
        events_.on_unforwardable(key, handoff.first, handoff.second);
    }
}

} // namespace kmirror::mirror
