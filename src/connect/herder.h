// Herder: one `kmirror worker`. Keeps the cluster's connector configs and target states from
// config.storage.topic (tailed from the beginning, so every worker has the whole view), runs a
// ConnectorRunner for every connector that is present and not paused/stopped, and writes this
// worker's status (one record per worker, refreshed every status interval) to
// status.storage.topic. There is no Connect rebalance protocol and no leader: Kafka groups on the
// target split the work (docs/adr/0005), so any worker writes config records itself and answers
// reads from its own view after reading the config topic to its end.
// Threads: a reconcile thread (creates, starts and stops runners; a start may block while a
// cluster is reached), a publisher thread (status records, so a slow start never makes this
// worker look dead), the stores' tail threads, and HerderApi methods from the REST server's
// threads. A connector that cannot be created reports FAILED until its config changes or it is
// restarted.
#pragma once

#include "connect/cluster_status.h"
#include "connect/connector_runner.h"
#include "connect/herder_api.h"
#include "connect/kafka_log.h"
#include "connect/worker_config.h"

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace kmirror::connect {

class Herder : public HerderApi {
public:
    Herder(WorkerConfig config, std::string worker_id);
    ~Herder() override;
    Herder(const Herder&) = delete;
    Herder& operator=(const Herder&) = delete;

    Status start();
    void stop() noexcept;
    const std::string& worker_id() const { return worker_id_; }

    std::string kafka_cluster_id() override;
    std::vector<std::string> connector_names() override;
    std::optional<ConnectorInfo> connector_info(const std::string& name) override;
    std::optional<ConnectorStatus> connector_status(const std::string& name) override;
    bool put_connector_config(const std::string& name, const ConnectorConfig& config,
                              std::optional<TargetState> initial_state) override;
    void delete_connector(const std::string& name) override;
    void set_target_state(const std::string& name, TargetState state) override;
    void restart_connector(const std::string& name, bool include_tasks, bool only_failed) override;
    void restart_task(const std::string& name, int task) override;
    std::vector<SourceOffset> offsets(const std::string& name) override;

private:
    struct Entry {
        ConnectorConfig config;
        TargetState target = TargetState::started;
        uint64_t restarts = 0; // restart requests seen (restart-connector-<name> records)
        std::map<int, uint64_t> task_restarts;
    };
    struct Running {
        std::shared_ptr<ConnectorRunner> runner; // null: it could not be created (failure)
        std::optional<LocalTaskReport> failure;
        ConnectorConfig config;
        uint64_t restarts = 0;
        std::map<int, uint64_t> task_restarts;
    };

    void on_config_record(const std::string& key, const std::optional<std::string>& value);
    void on_status_record(const std::string& key, const std::optional<std::string>& value);
    void reconcile_loop();
    void reconcile();
    void publish_loop();
    void publish_status();
    std::vector<WorkerReport> live_workers();
    void sync_config(); // throws RestError
    void write_config(const std::string& key, const std::optional<std::string>& value);
    std::map<std::string, Entry> snapshot();

    WorkerConfig config_;
    std::string worker_id_;
    KafkaLog config_log_;
    KafkaLog status_log_;

    std::mutex mutex_; // guards entries_, workers_, reports_, wake flag
    std::condition_variable wake_;
    bool changed_ = false;
    bool stopping_ = false;
    std::map<std::string, Entry> entries_;
    std::map<std::string, WorkerReport> workers_;
    bool publish_now_ = false;
    // What this worker reports: runners (asked for their state at each publication) and fixed
    // reports (paused connectors, connectors that could not be created).
    std::map<std::string, std::shared_ptr<ConnectorRunner>> reportable_;
    std::map<std::string, LocalTaskReport> fixed_reports_;

    std::map<std::string, Running> running_; // reconcile thread only
    std::thread thread_;                     // reconcile: may block while a connector starts
    std::thread publisher_thread_;           // status records, never blocked by connector starts
    bool started_ = false;
};

} // namespace kmirror::connect
