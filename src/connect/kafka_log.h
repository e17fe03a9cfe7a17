// KafkaLog: partition 0 of a compacted topic on the worker's cluster, read from the beginning
// and tailed by a thread of its own, with a producer to append to it -- what Connect's
// KafkaBasedLog is for the config and status topics. write() returns once this worker's tailer
// has read past the written record (read-your-writes).
// Threads: the tail thread calls the handler; write()/sync() from any thread.
#pragma once

#include "connect/worker_config.h"
#include "kafka/client.h"
#include "mirror/partition_reader.h"
#include "util/result.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace kmirror::connect {

class KafkaLog {
public:
    // value == nullopt: a tombstone.
    using Handler =
        std::function<void(const std::string& key, const std::optional<std::string>& value)>;

    KafkaLog(std::string topic, int replication_factor, std::string role, Handler handler);
    ~KafkaLog();
    KafkaLog(const KafkaLog&) = delete;
    KafkaLog& operator=(const KafkaLog&) = delete;

    // Creates the topic if missing (1 partition, compacted), reads it to its end, starts tailing.
    Status start(const WorkerConfig& worker, std::chrono::milliseconds timeout);
    void stop() noexcept;

    Status write(const std::string& key, const std::optional<std::string>& value,
                 std::chrono::milliseconds timeout);
    // Waits until everything written to the topic so far has been handled.
    Status sync(std::chrono::milliseconds timeout);
    std::string cluster_id();

private:
    void run();

    std::string topic_;
    int replication_factor_;
    std::string role_;
    Handler handler_;
    kafka::HandlePtr producer_;
    std::optional<mirror::PartitionReader> reader_;
    std::atomic<bool> stopping_{false};
    std::mutex mutex_;
    std::condition_variable advanced_;
    int64_t position_ = 0; // guarded by mutex_
    std::thread thread_;
};

} // namespace kmirror::connect
