// Metrics registry: counters, gauges and windowed min/avg/max/rate statistics with labels,
// rendered in the Prometheus text exposition format (metrics/exposition.h).
//
// Hot path: a series is registered once (e.g. when a partition is assigned) and the caller
// keeps the returned handle; recording is then a relaxed atomic operation on that handle, with
// no lock, no allocation and no lookup by name.
//
// Ownership: handles returned by counter()/gauge()/windowed()/callback() are shared_ptrs; the
// registry only keeps weak references, so a series disappears from the exposition when its
// owner drops the last handle (MM2 semantics: metrics exist only while the partition is
// assigned). set_gauge()/remove() manage registry-owned gauges for low-rate state (per consumer
// group values and the like) without keeping a handle.
//
// Threads: every member is thread-safe. Registration and scrapes take one mutex; recording on
// a handle takes none. A WindowedStat is built for one writer thread per series (the task
// thread that owns the partition); concurrent writers are safe but a value recorded exactly
// when a window rolls over may be dropped.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kmirror::metrics {

// Label names and values in the order they are rendered.
using Labels = std::vector<std::pair<std::string, std::string>>;

enum class Type { counter, gauge, untyped };

// One value of one series, as handed to the exposition writer.
struct Sample {
    std::string name;
    std::string help;
    Type type = Type::gauge;
    Labels labels;
    double value = 0;
};

// Wall clock in milliseconds since the epoch (the clock record timestamps use).
int64_t wall_clock_ms() noexcept;

class Counter {
public:
    void inc(uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
    uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<uint64_t> value_{0};
};

class Gauge {
public:
    void set(double v) noexcept { value_.store(v, std::memory_order_relaxed); }
    void add(double d) noexcept { value_.fetch_add(d, std::memory_order_relaxed); }
    double value() const noexcept { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<double> value_{0};
};

// Kafka's sampled statistics (MetricConfig defaults: 2 samples of 30 s): min, max and avg over
// the current and the previous window, NaN when neither holds a value; rate = sum / elapsed
// seconds over the same span (at least one window, as Kafka's Rate).
class WindowedStat {
public:
    static constexpr int64_t kDefaultWindowMs = 30000;
    explicit WindowedStat(int64_t window_ms = kDefaultWindowMs) : window_ms_(window_ms) {}

    void record(double value, int64_t now_ms) noexcept;

    struct Snapshot {
        uint64_t count = 0;
        double sum = 0;
        double min = 0;        // NaN when count == 0
        double max = 0;        // NaN when count == 0
        double avg = 0;        // NaN when count == 0
        double rate = 0;       // sum per second
        double count_rate = 0; // count per second
    };
    Snapshot snapshot(int64_t now_ms) const noexcept;

private:
    struct Window {
        std::atomic<int64_t> index{-1}; // now_ms / window_ms of the values it holds
        std::atomic<uint64_t> count{0};
        std::atomic<double> sum{0};
        std::atomic<double> min{0};
        std::atomic<double> max{0};
    };
    int64_t window_ms_;
    Window windows_[2];
};

// Which derived values of a WindowedStat become series: each part adds a suffix to the base
// name ("_min", "_avg", "_max"); rate parts take their own full name.
struct WindowedParts {
    bool min = true;
    bool avg = true;
    bool max = true;
    std::string sum_rate_name;   // e.g. "..._byte_rate": sum per second
    std::string count_rate_name; // e.g. "..._record_rate": values per second
};

class Registry {
public:
    Registry() = default;
    Registry(const Registry&) = delete;
    Registry& operator=(const Registry&) = delete;

    // Caller-owned series (see the file comment). Names and label names that are not valid
    // Prometheus names are sanitised (invalid characters become '_'). Registering a series that
    // already exists (same name and labels) replaces it.
    std::shared_ptr<Counter> counter(std::string_view name, std::string_view help, Labels labels,
                                     Type type = Type::counter);
    std::shared_ptr<Gauge> gauge(std::string_view name, std::string_view help, Labels labels);
    std::shared_ptr<WindowedStat> windowed(std::string_view base_name, std::string_view help,
                                           Labels labels, const WindowedParts& parts = {});
    // A gauge computed at scrape time. fn runs on the scraping thread, must be cheap and must
    // not call back into the registry.
    std::shared_ptr<void> callback(std::string_view name, std::string_view help, Labels labels,
                                   std::function<double()> fn, Type type = Type::gauge);

    // A collector adds any number of samples at each scrape (same rules as callback()). The
    // collector stays registered while the returned token lives.
    using Collector = std::function<void(std::vector<Sample>&)>;
    std::shared_ptr<void> add_collector(Collector collector);

    // Registry-owned gauges: set (creating it if needed) or remove one series. Thread-safe and
    // meant for values that change at most a few times per second.
    void set_gauge(std::string_view name, std::string_view help, const Labels& labels,
                   double value);
    void remove(std::string_view name, const Labels& labels);

    // Every live series, sorted by name then labels.
    std::vector<Sample> collect() const;
    // collect() rendered in the Prometheus text format, version 0.0.4.
    std::string exposition() const;

private:
    struct Series;
    void add(std::shared_ptr<Series> series);

    mutable std::mutex mutex_;
    // key: name + '\0' + rendered labels
    mutable std::map<std::string, std::weak_ptr<Series>> series_;
    std::map<std::string, std::shared_ptr<Series>> owned_; // set_gauge() series
    std::map<std::string, std::shared_ptr<Gauge>> gauges_; // their values, same keys
    mutable std::vector<std::weak_ptr<Collector>> collectors_;
};

// The process-wide registry served on /metrics (dedicated mode and the REST worker).
Registry& default_registry();

} // namespace kmirror::metrics
