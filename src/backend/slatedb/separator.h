// The separator keys of a SlateDB SST index (spec section 3.3). Block i > 0
// is indexed by the shortest key that sorts after the previous block's last
// key and at or before this block's first key: the prefix of the first key up
// to and including the first byte that differs from the previous last key,
// or the whole first key when one key is a prefix of the other. (Block 0 is
// indexed by the empty key, which the SST writer handles.)
//
// Thread-safety: a pure function; safe from any thread.
#pragma once

#include <string>
#include <string_view>

namespace shardyfusion::slatedb {

// REQUIRES: prev_last_key < first_key (bytewise).
std::string ShortestSeparator(std::string_view prev_last_key, std::string_view first_key);

}  // namespace shardyfusion::slatedb
