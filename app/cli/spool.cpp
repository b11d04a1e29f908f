#include "spool.h"

#include <cstdint>
#include <cstring>

namespace prism::cli {

namespace {

void appendSize(std::string &out, std::uint64_t size)
{
    char bytes[sizeof size];
    std::memcpy(bytes, &size, sizeof size);
    out.append(bytes, sizeof size);
}

bool readSize(const std::string &in, std::size_t &at, std::uint64_t &size)
{
    if (at + sizeof size > in.size())
        return false;
    std::memcpy(&size, in.data() + at, sizeof size);
    at += sizeof size;
    return true;
}

} // namespace

PieceSpool::PieceSpool() : m_file(std::tmpfile()) {}

PieceSpool::~PieceSpool()
{
    if (m_file)
        std::fclose(m_file);
}

void PieceSpool::append(const std::string &piece)
{
    ++m_count;
    if (m_file && m_memory.empty()) {
        const std::uint64_t size = piece.size();
        if (std::fwrite(&size, sizeof size, 1, m_file) == 1
            && std::fwrite(piece.data(), 1, piece.size(), m_file) == piece.size()) {
            ++m_inFile;
            return;
        }
        // A full temporary directory: the rest stays in memory; pieces
        // already written are read back from where the file got to.
        std::fflush(m_file);
    }
    m_memory.push_back(piece);
}

void PieceSpool::forEach(const std::function<void(const std::string &)> &use)
{
    if (m_file && m_inFile > 0) {
        std::fflush(m_file);
        std::rewind(m_file);
        std::string piece;
        for (std::size_t i = 0; i < m_inFile; ++i) {
            std::uint64_t size = 0;
            if (std::fread(&size, sizeof size, 1, m_file) != 1)
                break;
            piece.resize(size);
            if (size > 0 && std::fread(piece.data(), 1, size, m_file) != size)
                break;
            use(piece);
        }
        std::fseek(m_file, 0, SEEK_END);
    }
    for (const std::string &piece : m_memory)
        use(piece);
}

std::string packCells(const std::vector<std::string> &cells)
{
    std::string out;
    for (const std::string &cell : cells) {
        appendSize(out, cell.size());
        out += cell;
    }
    return out;
}

std::vector<std::string> unpackCells(const std::string &piece)
{
    std::vector<std::string> cells;
    std::size_t at = 0;
    std::uint64_t size = 0;
    while (readSize(piece, at, size) && at + size <= piece.size()) {
        cells.emplace_back(piece, at, size);
        at += size;
    }
    return cells;
}

} // namespace prism::cli
