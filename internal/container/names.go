package container

import (
	"math/rand/v2"
	"regexp"
)

// validName is Docker's rule for container names.
var validName = regexp.MustCompile(`^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$`)

// ValidName reports whether name is an acceptable container name.
func ValidName(name string) bool { return validName.MatchString(name) }

var (
	adjectives = []string{
		"admiring", "affectionate", "agitated", "amazing", "angry", "awesome", "beautiful", "blissful",
		"bold", "boring", "brave", "busy", "charming", "clever", "compassionate", "competent",
		"confident", "cool", "cranky", "crazy", "dazzling", "determined", "distracted", "dreamy",
		"eager", "ecstatic", "elastic", "elated", "elegant", "eloquent", "epic", "exciting",
		"fervent", "festive", "flamboyant", "focused", "friendly", "frosty", "funny", "gallant",
		"gifted", "goofy", "gracious", "great", "happy", "hardcore", "heuristic", "hopeful",
		"hungry", "infallible", "inspiring", "intelligent", "interesting", "jolly", "jovial", "keen",
		"kind", "laughing", "loving", "lucid", "magical", "modest", "musing", "mystifying",
		"naughty", "nervous", "nice", "nifty", "nostalgic", "objective", "optimistic", "peaceful",
		"pedantic", "pensive", "practical", "priceless", "quirky", "quizzical", "recursing", "relaxed",
		"reverent", "romantic", "sad", "serene", "sharp", "silly", "sleepy", "stoic",
		"strange", "stupefied", "suspicious", "sweet", "tender", "thirsty", "trusting", "upbeat",
		"vibrant", "vigilant", "vigorous", "wizardly", "wonderful", "xenodochial", "youthful", "zealous", "zen",
	}
	surnames = []string{
		"agnesi", "albattani", "allen", "archimedes", "babbage", "banach", "bardeen", "bartik",
		"bell", "bhabha", "blackwell", "bohr", "booth", "borg", "bose", "brahmagupta",
		"brown", "carson", "cerf", "chandrasekhar", "chaum", "cohen", "curie", "darwin",
		"davinci", "dijkstra", "dirac", "einstein", "elion", "euclid", "euler", "fermat",
		"fermi", "feynman", "franklin", "galileo", "gauss", "goldberg", "goodall", "hamilton",
		"hawking", "heisenberg", "hellman", "hertz", "hopper", "hypatia", "jackson", "jang",
		"johnson", "kalam", "kapitsa", "keller", "kepler", "khorana", "knuth", "kowalevski",
		"lamarr", "lamport", "leakey", "lovelace", "lumiere", "margulis", "maxwell", "mayer",
		"mccarthy", "mclean", "meitner", "mendel", "merkle", "mirzakhani", "morse", "napier",
		"newton", "nobel", "noether", "pascal", "pasteur", "perlman", "pike", "poincare",
		"ptolemy", "raman", "ritchie", "rosalind", "sammet", "shannon", "shockley", "sinoussi",
		"stonebraker", "swanson", "tesla", "thompson", "torvalds", "turing", "varahamihira", "wiles",
		"williams", "wing", "wozniak", "wright", "yalow", "yonath",
	}
)

// RandomName returns a Docker-style name such as "focused_turing"; retry
// adds a digit like Docker does after a collision.
func RandomName(retry int) string {
	name := adjectives[rand.IntN(len(adjectives))] + "_" + surnames[rand.IntN(len(surnames))]
	if name == "boring_wozniak" { // Steve Wozniak is not boring; Docker's joke kept
		return RandomName(retry)
	}
	if retry > 0 {
		name += string(rune('0' + rand.IntN(10)))
	}
	return name
}
