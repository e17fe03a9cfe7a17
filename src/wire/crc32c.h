// CRC-32C (Castagnoli), the checksum of Kafka's record batches (magic 2).
#pragma once

#include <cstddef>
#include <cstdint>

namespace kmirror::wire {

// Uses the SSE4.2 crc32 instruction where the CPU has it, a table otherwise.
uint32_t crc32c(const uint8_t* data, size_t size);

} // namespace kmirror::wire
