#pragma once

#include <cstddef>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace prism::cli {

// The pieces of a report (one per example), kept in order in an unlinked
// temporary file rather than in memory, so `prism eval` over 50,000 rows does
// not hold 50,000 rendered rows. In memory when no temporary file can be made.
class PieceSpool {
public:
    PieceSpool();
    ~PieceSpool();
    PieceSpool(const PieceSpool &) = delete;
    PieceSpool &operator=(const PieceSpool &) = delete;

    void append(const std::string &piece);
    std::size_t size() const { return m_count; }
    // Calls `use` with each piece, in the order appended.
    void forEach(const std::function<void(const std::string &)> &use);

private:
    std::FILE *m_file = nullptr;
    std::vector<std::string> m_memory; // without a file, or once writing to it failed
    std::size_t m_count = 0;
    std::size_t m_inFile = 0; // the first m_inFile pieces are in the file
};

// A row of cells as one piece and back (each cell length-prefixed, so a cell
// may hold any byte).
std::string packCells(const std::vector<std::string> &cells);
std::vector<std::string> unpackCells(const std::string &piece);

} // namespace prism::cli
