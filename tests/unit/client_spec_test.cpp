#include "mirror/client_spec.h"

#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace kmirror::mirror {
namespace {

// A Java setting outside a limit is kept at the nearest bound, with one note naming the cluster,
// role, key and both values; a setting within the limit passes unchanged and silently. A limit
// whose bounds cross (a tiny memory bound) yields its minimum instead of undefined behaviour.
TEST(ClientSpecLimits, KeepSettingsWithinTheirBoundsAndSaySo) {
    struct Case {
        std::string name;
        std::string java_value;
        Limit limit;
        std::string expected;
        bool noted;
    };
    const Limit fetch{"max.partition.fetch.bytes", 65536, 1048576, "why"};
    const std::vector<Case> cases = {
        {"seed's 32 MiB fetch is capped", "33554432", fetch, "1048576", true},
        {"within the limit", "524288", fetch, "524288", false},
        {"below the minimum", "1024", fetch, "65536", true},
        {"crossed bounds give the minimum",
         "4096",
         {"max.partition.fetch.bytes", 1048576, 524288, "why"},
         "1048576",
         true},
    };
    for (const auto& c : cases) {
        Properties java;
        java.set("max.partition.fetch.bytes", c.java_value);
        std::vector<std::string> notes;
        auto spec = build_client_spec({"source",
                                       "replication-consumer",
                                       java,
                                       kafka::ClientRole::consumer,
                                       {},
                                       {},
                                       {c.limit}},
                                      notes);
        ASSERT_TRUE(spec) << c.name << ": " << spec.error().message;
        EXPECT_EQ(kafka::setting_value(spec->settings, "max.partition.fetch.bytes"), c.expected)
            << c.name;
        ASSERT_EQ(notes.size(), c.noted ? 1U : 0U) << c.name;
        if (c.noted) {
            EXPECT_NE(notes[0].find("cluster 'source' (replication-consumer)"), std::string::npos)
                << notes[0];
            EXPECT_NE(notes[0].find("'max.partition.fetch.bytes' = " + c.java_value +
                                    " is kept at " + c.expected),
                      std::string::npos)
                << notes[0];
        }
    }
}

} // namespace
} // namespace kmirror::mirror
