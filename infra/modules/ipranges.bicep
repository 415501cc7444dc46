// IPv4 address ranges as an operator writes them (a CIDR block, a single address, or "start-end") turned into what
// the resources take: a start and an end address (Postgres firewall rules) or CIDR blocks (App Service access
// restrictions, which accept nothing else). main.bicep imports these functions; the deployment tests evaluate them
// through `bicep snapshot`.

// The sizes of CIDR blocks, 2^0 to 2^32 addresses (index = host bits): ARM expressions have no power function.
func blockSizes() int[] => [
  1
  2
  4
  8
  16
  32
  64
  128
  256
  512
  1024
  2048
  4096
  8192
  16384
  32768
  65536
  131072
  262144
  524288
  1048576
  2097152
  4194304
  8388608
  16777216
  33554432
  67108864
  134217728
  268435456
  536870912
  1073741824
  2147483648
  4294967296
]

func addressToInt(address string) int =>
  length(split(address, '.')) == 4
    ? reduce(split(address, '.'), 0, (value, octet) => value * 256 + int(octet))
    : fail('"${address}" is not an IPv4 address.')

func intToAddress(value int) string => '${value / 16777216}.${value / 65536 % 256}.${value / 256 % 256}.${value % 256}'

// The size of the largest CIDR block that starts at `start` and ends at or before `end`.
func largestBlockSize(start int, end int) int =>
  last(filter(blockSizes(), size => start % size == 0 && start + size - 1 <= end))!

func boundsOf(range string) { start: string, end: string } =>
  contains(range, '-')
    ? {
        start: trim(split(range, '-')[0])
        end: trim(split(range, '-')[1])
      }
    : contains(range, '/')
        ? {
            start: parseCidr(trim(range)).network
            end: parseCidr(trim(range)).broadcast
          }
        : {
            start: trim(range)
            end: trim(range)
          }

@export()
@description('The first and last address of "203.0.113.0/24", "203.0.113.7" or "203.0.113.10-203.0.113.20".')
func ipRangeBounds(range string) { start: string, end: string } =>
  boundsOf(range).start == '0.0.0.0' && boundsOf(range).end == '0.0.0.0'
    ? fail('"${range}" is the 0.0.0.0 rule, which admits every Azure tenant: list the addresses to admit instead.')
    : boundsOf(range)

@export()
@description('The fewest CIDR blocks that cover exactly the addresses from start to end (at most 62 for IPv4).')
func cidrBlocks(bounds { start: string, end: string }) string[] =>
  addressToInt(bounds.start) > addressToInt(bounds.end)
    ? fail('The IP range ${bounds.start}-${bounds.end} ends before it starts.')
    : reduce(
        range(0, 62),
        { next: addressToInt(bounds.start), blocks: [] },
        (covered, _) =>
          covered.next > addressToInt(bounds.end)
            ? covered
            : {
                next: covered.next + largestBlockSize(covered.next, addressToInt(bounds.end))
                blocks: concat(covered.blocks, [
                  '${intToAddress(covered.next)}/${32 - indexOf(blockSizes(), largestBlockSize(covered.next, addressToInt(bounds.end)))}'
                ])
              }
      ).blocks
