// The CEL routing workload: evaluations per second of compiled routing
// expressions, each beside the same computation written directly in C++
// (the floor any engine would pay), measured in the same run.
//
//   cel_shard_hash_mod8_int   shard_hash(key) % 8u over an int column,
//                             beside the hash Router (NewHashRouter) on the
//                             same keys;
//   cel_two_column_string     region + "/" + tenant over two string columns,
//                             beside std::string concatenation.
#include <cstdio>
#include <string>
#include <vector>

#include "bench.h"
#include "shardyfusion/cel.h"
#include "shardyfusion/routing.h"

namespace shardy_bench {

namespace {

namespace sf = shardyfusion;

std::shared_ptr<const sf::CelProgram> CompileOrDie(const std::string& expr,
                                                   std::vector<sf::CelColumn> columns) {
  auto p = sf::CelProgram::Compile(expr, std::move(columns));
  if (!p.ok()) Die(p.status().ToString());
  return *p;
}

}  // namespace

int CelMode(int64_t n, int runs) {
  // Integer keys: the seed page's routing expression shape.
  auto hash_prog = CompileOrDie("shard_hash(key) % 8u", {{"key", sf::CelType::kInt}});
  std::shared_ptr<const sf::Router> router = sf::NewHashRouter(8);
  std::vector<sf::CelValue> key_values(1);
  std::vector<double> t_cel, t_native;
  uint64_t check_cel = 0, check_native = 0;
  for (int r = 0; r < runs; ++r) {
    auto t0 = Clock::now();
    for (int64_t i = 0; i < n; ++i) {
      key_values[0] = sf::CelValue::Int(i);
      auto v = hash_prog->Evaluate(key_values);
      if (!v.ok()) Die(v.status().ToString());
      check_cel += v->uint_value();
    }
    t_cel.push_back(Seconds(t0));
    t0 = Clock::now();
    for (int64_t i = 0; i < n; ++i) check_native += **router->Route(sf::Key::Int(i), {}, nullptr);
    t_native.push_back(Seconds(t0));
  }
  if (check_cel != check_native) Die("CEL shard_hash routing disagrees with the hash router");
  std::printf("%lld evaluations per run, median of %d runs\n", static_cast<long long>(n), runs);
  std::printf(
      "cel_shard_hash_mod8_int        : %10.0f evals/s  (native HashRouter: %10.0f/s, "
      "ratio %.2fx)\n",
      n / Median(t_cel), n / Median(t_native), Median(t_native) / Median(t_cel));

  // Two string columns, a categorical token.
  auto concat_prog = CompileOrDie("region + '/' + tenant", {{"region", sf::CelType::kString},
                                                            {"tenant", sf::CelType::kString}});
  const char* regions[] = {"us-east-1", "eu-west-1", "ap-south-1", "sa-east-1"};
  std::vector<std::string> tenants;
  for (int i = 0; i < 1000; ++i) tenants.push_back("tenant-" + std::to_string(i));
  std::vector<sf::CelValue> cols(2);
  std::vector<double> t_cel2, t_native2;
  size_t len_cel = 0, len_native = 0;
  for (int r = 0; r < runs; ++r) {
    auto t0 = Clock::now();
    for (int64_t i = 0; i < n; ++i) {
      cols[0] = sf::CelValue::String(regions[i & 3]);
      cols[1] = sf::CelValue::String(tenants[i % 1000]);
      auto v = concat_prog->Evaluate(cols);
      if (!v.ok()) Die(v.status().ToString());
      len_cel += v->bytes().size();
    }
    t_cel2.push_back(Seconds(t0));
    t0 = Clock::now();
    for (int64_t i = 0; i < n; ++i) {
      // The same work outside the engine: the column values are built and
      // the token is produced as a fresh string.
      std::string region = regions[i & 3];
      std::string tenant = tenants[i % 1000];
      std::string token = region + "/" + tenant;
      len_native += token.size();
    }
    t_native2.push_back(Seconds(t0));
  }
  if (len_cel != len_native) Die("CEL concatenation disagrees with std::string");
  std::printf(
      "cel_two_column_string          : %10.0f evals/s  (native std::string: %10.0f/s, "
      "ratio %.2fx)\n",
      n / Median(t_cel2), n / Median(t_native2), Median(t_native2) / Median(t_cel2));
  return 0;
}

}  // namespace shardy_bench
