#include "metrics/registry.h"

#include "metrics/exposition.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

namespace kmirror::metrics {

int64_t wall_clock_ms() noexcept {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// ---- WindowedStat ---------------------------------------------------------------------------

void WindowedStat::record(double value, int64_t now_ms) noexcept {
    const int64_t index = now_ms / window_ms_;
    Window& w = windows_[index & 1];
    int64_t current = w.index.load(std::memory_order_acquire);
    if (current != index) {
        if (current > index) {
            return; // the clock stepped back past a window: drop rather than corrupt
        }
        if (w.index.compare_exchange_strong(current, index, std::memory_order_acq_rel)) {
            w.count.store(0, std::memory_order_relaxed);
            w.sum.store(0, std::memory_order_relaxed);
            w.min.store(value, std::memory_order_relaxed);
            w.max.store(value, std::memory_order_relaxed);
        }
    }
    w.count.fetch_add(1, std::memory_order_relaxed);
    w.sum.fetch_add(value, std::memory_order_relaxed);
    double m = w.min.load(std::memory_order_relaxed);
    while (value < m && !w.min.compare_exchange_weak(m, value, std::memory_order_relaxed)) {
    }
    m = w.max.load(std::memory_order_relaxed);
    while (value > m && !w.max.compare_exchange_weak(m, value, std::memory_order_relaxed)) {
    }
}

WindowedStat::Snapshot WindowedStat::snapshot(int64_t now_ms) const noexcept {
    const int64_t index = now_ms / window_ms_;
    Snapshot s;
    double lo = std::numeric_limits<double>::infinity();
    double hi = -std::numeric_limits<double>::infinity();
    for (const auto& w : windows_) {
        const int64_t i = w.index.load(std::memory_order_acquire);
        if (i != index && i != index - 1) {
            continue;
        }
        const uint64_t n = w.count.load(std::memory_order_relaxed);
        if (n == 0) {
            continue;
        }
        s.count += n;
        s.sum += w.sum.load(std::memory_order_relaxed);
        lo = std::min(lo, w.min.load(std::memory_order_relaxed));
        hi = std::max(hi, w.max.load(std::memory_order_relaxed));
    }
    const double nan = std::numeric_limits<double>::quiet_NaN();
    s.min = s.count == 0 ? nan : lo;
    s.max = s.count == 0 ? nan : hi;
    s.avg = s.count == 0 ? nan : s.sum / static_cast<double>(s.count);
    // Span: the previous window and the current one so far (Kafka's Rate with 2 samples).
    const double elapsed_s = static_cast<double>(now_ms - (index - 1) * window_ms_) / 1000.0;
    s.rate = s.sum / elapsed_s;
    s.count_rate = static_cast<double>(s.count) / elapsed_s;
    return s;
}

// ---- Registry -------------------------------------------------------------------------------

struct Registry::Series {
    std::string name;
    std::string help;
    Type type = Type::gauge;
    Labels labels;
    std::string key;
    std::function<double(int64_t now_ms)> read;
};

namespace {

Labels sanitize(Labels labels) {
    for (auto& [name, value] : labels) {
        name = sanitize_label_name(name);
    }
    return labels;
}

std::string series_key(const std::string& name, const Labels& labels) {
    std::string key = name;
    key += '\0';
    for (const auto& [n, v] : labels) {
        key += n;
        key += '=';
        key += v;
        key += '\0';
    }
    return key;
}

// A pointer to a member of `holder` sharing its ownership.
template <class Member, class Holder>
std::shared_ptr<Member> alias(const std::shared_ptr<Holder>& holder, Member* member) {
    return std::shared_ptr<Member>(holder, member);
}

} // namespace

void Registry::add(std::shared_ptr<Series> series) {
    series->key = series_key(series->name, series->labels);
    std::lock_guard lock(mutex_);
    series_[series->key] = series;
}

std::shared_ptr<Counter> Registry::counter(std::string_view name, std::string_view help,
                                           Labels labels, Type type) {
    struct Holder {
        Counter counter;
        Series series;
    };
    auto holder = std::make_shared<Holder>();
    Counter* c = &holder->counter;
    holder->series = Series{sanitize_metric_name(name),
                            std::string(help),
                            type,
                            sanitize(std::move(labels)),
                            {},
                            [c](int64_t) { return static_cast<double>(c->value()); }};
    add(alias(holder, &holder->series));
    return std::shared_ptr<Counter>(holder, c);
}

std::shared_ptr<Gauge> Registry::gauge(std::string_view name, std::string_view help,
                                       Labels labels) {
    struct Holder {
        Gauge gauge;
        Series series;
    };
    auto holder = std::make_shared<Holder>();
    Gauge* g = &holder->gauge;
    holder->series = Series{sanitize_metric_name(name),
                            std::string(help),
                            Type::gauge,
                            sanitize(std::move(labels)),
                            {},
                            [g](int64_t) { return g->value(); }};
    add(alias(holder, &holder->series));
    return std::shared_ptr<Gauge>(holder, g);
}

std::shared_ptr<WindowedStat> Registry::windowed(std::string_view base_name, std::string_view help,
                                                 Labels labels, const WindowedParts& parts) {
    struct Holder {
        WindowedStat stat;
        std::vector<Series> series;
    };
    auto holder = std::make_shared<Holder>();
    labels = sanitize(std::move(labels));
    const WindowedStat* stat = &holder->stat;
    const std::string base = sanitize_metric_name(base_name);
    auto part = [&](std::string name, double WindowedStat::Snapshot::*field) {
        holder->series.push_back(
            Series{std::move(name),
                   std::string(help),
                   Type::gauge,
                   labels,
                   {},
                   [stat, field](int64_t now) { return stat->snapshot(now).*field; }});
    };
    if (parts.min) {
        part(base + "_min", &WindowedStat::Snapshot::min);
    }
    if (parts.avg) {
        part(base + "_avg", &WindowedStat::Snapshot::avg);
    }
    if (parts.max) {
        part(base + "_max", &WindowedStat::Snapshot::max);
    }
    if (!parts.sum_rate_name.empty()) {
        part(sanitize_metric_name(parts.sum_rate_name), &WindowedStat::Snapshot::rate);
    }
    if (!parts.count_rate_name.empty()) {
        part(sanitize_metric_name(parts.count_rate_name), &WindowedStat::Snapshot::count_rate);
    }
    for (auto& s : holder->series) {
        add(alias(holder, &s));
    }
    return std::shared_ptr<WindowedStat>(holder, &holder->stat);
}

std::shared_ptr<void> Registry::callback(std::string_view name, std::string_view help,
                                         Labels labels, std::function<double()> fn, Type type) {
    auto series = std::make_shared<Series>(Series{sanitize_metric_name(name),
                                                  std::string(help),
                                                  type,
                                                  sanitize(std::move(labels)),
                                                  {},
                                                  [fn = std::move(fn)](int64_t) { return fn(); }});
    add(series);
    return series;
}

std::shared_ptr<void> Registry::add_collector(Collector collector) {
    auto owned = std::make_shared<Collector>(std::move(collector));
    std::lock_guard lock(mutex_);
    collectors_.push_back(owned);
    return owned;
}

void Registry::set_gauge(std::string_view name, std::string_view help, const Labels& labels,
                         double value) {
    const std::string n = sanitize_metric_name(name);
    Labels l = sanitize(labels);
    const std::string key = series_key(n, l);
    std::lock_guard lock(mutex_);
    if (auto it = gauges_.find(key); it != gauges_.end()) {
        it->second->set(value);
        return;
    }
    auto g = std::make_shared<Gauge>();
    g->set(value);
    auto series = std::make_shared<Series>(Series{n, std::string(help), Type::gauge, std::move(l),
                                                  key, [g](int64_t) { return g->value(); }});
    owned_[key] = series;
    series_[key] = series;
    gauges_[key] = std::move(g);
}

void Registry::remove(std::string_view name, const Labels& labels) {
    const std::string key = series_key(sanitize_metric_name(name), sanitize(labels));
    std::lock_guard lock(mutex_);
    owned_.erase(key);
    gauges_.erase(key);
    series_.erase(key);
}

std::vector<Sample> Registry::collect() const {
    std::vector<std::shared_ptr<Series>> live;
    std::vector<std::shared_ptr<Collector>> collectors;
    {
        std::lock_guard lock(mutex_);
        for (auto it = series_.begin(); it != series_.end();) {
            if (auto s = it->second.lock()) {
                live.push_back(std::move(s));
                ++it;
            } else {
                it = series_.erase(it);
            }
        }
        for (auto it = collectors_.begin(); it != collectors_.end();) {
            if (auto c = it->lock()) {
                collectors.push_back(std::move(c));
                ++it;
            } else {
                it = collectors_.erase(it);
            }
        }
    }
    const int64_t now = wall_clock_ms();
    std::vector<Sample> samples;
    samples.reserve(live.size());
    for (const auto& s : live) {
        samples.push_back(Sample{s->name, s->help, s->type, s->labels, s->read(now)});
    }
    for (const auto& c : collectors) {
        (*c)(samples);
    }
    for (auto& s : samples) {
        s.name = sanitize_metric_name(s.name);
        s.labels = sanitize(std::move(s.labels));
    }
    std::stable_sort(samples.begin(), samples.end(), [](const Sample& a, const Sample& b) {
        if (a.name != b.name) {
            return a.name < b.name;
        }
        return a.labels < b.labels;
    });
    // The exposition format forbids the same series twice: keep the first.
    samples.erase(std::unique(samples.begin(), samples.end(),
                              [](const Sample& a, const Sample& b) {
                                  return a.name == b.name && a.labels == b.labels;
                              }),
                  samples.end());
    return samples;
}

std::string Registry::exposition() const {
    return write_exposition(collect());
}

Registry& default_registry() {
    static Registry registry;
    return registry;
}

} // namespace kmirror::metrics
