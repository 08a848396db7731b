// FlatBuffers builders for SlateDB's metadata tables (slatedb.fbs), shared
// by the manifest codec (manifest.cc) and the fuzz seeds, which also build
// the V2 manifests the codec never writes.
//
// Thread-safety: stateless functions; a FlatBufferBuilder is one thread's.
#pragma once

#include <flatbuffers/flatbuffers.h>

#include <string_view>

#include "backend/slatedb/manifest.h"
#include "backend/slatedb/slatedb_generated.h"

namespace shardyfusion::slatedb {

flatbuffers::Offset<fb::Ulid> ToFb(flatbuffers::FlatBufferBuilder& b, const Ulid& u);
flatbuffers::Offset<flatbuffers::Vector<uint8_t>> ToFbBytes(flatbuffers::FlatBufferBuilder& b,
                                                            std::string_view s);
flatbuffers::Offset<fb::SsTableInfo> ToFb(flatbuffers::FlatBufferBuilder& b, const SstInfo& i);
// An unbounded bound is written without a key, as SlateDB writes it.
flatbuffers::Offset<fb::BytesRange> ToFb(flatbuffers::FlatBufferBuilder& b, const KeyRange& r);
// A V1 manifest entry (CompactedSsTable), format_version written explicitly.
flatbuffers::Offset<fb::CompactedSsTable> ToFb(flatbuffers::FlatBufferBuilder& b,
                                               const SstHandle& h);

}  // namespace shardyfusion::slatedb
