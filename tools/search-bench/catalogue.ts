/**
 * A synthetic but realistic-looking catalogue for the search benchmark: Chinese and English
 * books on a dozen subjects, with titles, authors (a long tail of personal names), publishers,
 * tags, intros and a table of contents as `content`, generated deterministically from a seed.
 * Subject words are drawn with a skew, so some words are in a large share of the books and
 * names and places are in very few, as in a real catalogue.
 */

import { Rng } from '../order-bench/rng.js';

/** The order benchmark's seeded generator, with the two skewed draws a catalogue needs. */
export class SeededRandom extends Rng {
  /** Skewed pick: low indexes much more often (roughly Zipf-like). */
  skewed<T>(items: readonly T[], power = 2.2): T {
    return items[Math.floor(items.length * this.next() ** power)]!;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }
}

interface Subject {
  tag: string;
  enTag: string;
  novel: boolean;
  zh: string[];
  en: string[];
}

const SUBJECTS: Subject[] = [
  { tag: '中国历史', enTag: 'history', novel: false,
    zh: ['历史', '王朝', '皇帝', '唐朝', '宋朝', '明朝', '清朝', '丝绸之路', '长城', '变法', '史料', '科举', '诸侯', '宰相', '考古', '史记', '边疆', '帝王'],
    en: ['china', 'dynasty', 'emperor', 'tang', 'song', 'ming', 'qing', 'silk', 'wall', 'reform', 'scholars', 'court'] },
  { tag: '世界历史', enTag: 'history', novel: false,
    zh: ['历史', '帝国', '战争', '革命', '文明', '罗马', '希腊', '文艺复兴', '殖民', '贸易', '外交', '将军', '起义', '中世纪', '航海', '冷战'],
    en: ['history', 'empire', 'war', 'revolution', 'civilization', 'ancient', 'rome', 'greece', 'medieval', 'conquest', 'republic', 'colonial', 'trade', 'kings'] },
  { tag: '小说', enTag: 'fiction', novel: true,
    zh: ['故事', '爱情', '青春', '家族', '命运', '记忆', '孤独', '时间', '少年', '母亲', '父亲', '远方', '夏天', '告白', '城市', '乡村', '秘密', '河流'],
    en: ['river', 'night', 'summer', 'garden', 'letters', 'silence', 'memory', 'light', 'house', 'daughter', 'winter', 'heart', 'love', 'island'] },
  { tag: '悬疑推理', enTag: 'mystery', novel: true,
    zh: ['侦探', '悬疑', '推理', '谋杀', '真相', '密室', '凶手', '案件', '证据', '失踪', '嫌疑人', '警察', '夜晚', '秘密'],
    en: ['murder', 'detective', 'mystery', 'crime', 'secret', 'stranger', 'shadow', 'missing', 'killer', 'evidence', 'night'] },
  { tag: '武侠奇幻', enTag: 'fantasy', novel: true,
    zh: ['江湖', '武侠', '剑客', '门派', '侠客', '仙侠', '修真', '魔法', '王国', '龙族', '传说', '奇幻', '英雄', '宝藏'],
    en: ['dragon', 'kingdom', 'magic', 'sword', 'quest', 'wizard', 'throne', 'legend', 'realm', 'hero', 'prophecy'] },
  { tag: '科幻', enTag: 'science fiction', novel: true,
    zh: ['科幻', '星际', '外星', '未来', '机器人', '时间旅行', '太空', '文明', '末日', '基地', '飞船', '人类'],
    en: ['space', 'alien', 'robot', 'galaxy', 'future', 'starship', 'planet', 'android', 'colony', 'time'] },
  { tag: '物理天文', enTag: 'physics', novel: false,
    zh: ['物理', '量子', '力学', '相对论', '宇宙', '黑洞', '星系', '天文', '粒子', '引力', '光学', '能量', '时空', '原子'],
    en: ['quantum', 'physics', 'universe', 'relativity', 'cosmos', 'gravity', 'particles', 'mechanics', 'energy', 'stars', 'light'] },
  { tag: '生命科学', enTag: 'biology', novel: false,
    zh: ['生物', '进化', '基因', '细胞', '生态', '物种', '大脑', '神经', '病毒', '微生物', '遗传', '自然'],
    en: ['evolution', 'gene', 'cell', 'biology', 'species', 'brain', 'nature', 'ecology', 'virus', 'life'] },
  { tag: '数学', enTag: 'mathematics', novel: false,
    zh: ['数学', '几何', '代数', '概率', '统计', '微积分', '数论', '证明', '函数', '方程', '逻辑', '拓扑'],
    en: ['mathematics', 'geometry', 'algebra', 'probability', 'statistics', 'calculus', 'proof', 'numbers', 'logic'] },
  { tag: '编程', enTag: 'programming', novel: false,
    zh: ['编程', '算法', '数据结构', 'Python', 'Java', 'C++', '程序员', '代码', '设计模式', '重构', '函数式', '面向对象', '前端', 'JavaScript'],
    en: ['programming', 'python', 'java', 'algorithms', 'code', 'design', 'patterns', 'javascript', 'software', 'rust', 'testing'] },
  { tag: '人工智能', enTag: 'ai', novel: false,
    zh: ['人工智能', '机器学习', '深度学习', '神经网络', '数据', '模型', '算法', 'Python', '自然语言', '计算机视觉', '强化学习', '大模型'],
    en: ['learning', 'machine', 'neural', 'networks', 'data', 'intelligence', 'models', 'python', 'deep', 'vision'] },
  { tag: '计算机系统', enTag: 'systems', novel: false,
    zh: ['系统', '数据库', '操作系统', '网络', '分布式', '云计算', '安全', '架构', '编译', '并发', '性能', 'Linux', '存储'],
    en: ['systems', 'database', 'distributed', 'network', 'linux', 'security', 'cloud', 'architecture', 'design', 'compilers', 'operating'] },
  { tag: '经济', enTag: 'economics', novel: false,
    zh: ['经济', '增长', '市场', '货币', '资本', '贸易', '政策', '通胀', '发展', '全球化', '改革', '收入'],
    en: ['economics', 'markets', 'growth', 'money', 'capital', 'policy', 'inequality', 'trade', 'wealth', 'nations'] },
  { tag: '金融投资', enTag: 'finance', novel: false,
    zh: ['金融', '投资', '股票', '理财', '银行', '基金', '财富', '风险', '价值', '交易', '债券', '资产'],
    en: ['investing', 'finance', 'stocks', 'money', 'wealth', 'risk', 'value', 'trading', 'bonds', 'banking'] },
  { tag: '管理', enTag: 'management', novel: false,
    zh: ['管理', '领导力', '创业', '营销', '战略', '企业', '组织', '团队', '效率', '谈判', '创新', '品牌'],
    en: ['leadership', 'management', 'strategy', 'startup', 'business', 'teams', 'innovation', 'marketing', 'negotiation'] },
  { tag: '哲学', enTag: 'philosophy', novel: false,
    zh: ['哲学', '思想', '伦理', '存在', '自由', '理性', '意识', '道德', '逻辑', '美学', '形而上学', '正义'],
    en: ['philosophy', 'ethics', 'freedom', 'reason', 'consciousness', 'virtue', 'meaning', 'justice', 'truth', 'mind'] },
  { tag: '心理', enTag: 'psychology', novel: false,
    zh: ['心理', '情绪', '认知', '行为', '人格', '幸福', '焦虑', '习惯', '思维', '关系', '自我', '压力'],
    en: ['psychology', 'mind', 'happiness', 'habits', 'thinking', 'emotions', 'behavior', 'anxiety', 'self'] },
  { tag: '艺术', enTag: 'art', novel: false,
    zh: ['艺术', '绘画', '设计', '建筑', '书法', '摄影', '雕塑', '美术', '色彩', '博物馆'],
    en: ['art', 'painting', 'design', 'architecture', 'photography', 'drawing', 'museum', 'color'] },
  { tag: '音乐电影', enTag: 'music', novel: false,
    zh: ['音乐', '电影', '戏剧', '导演', '歌剧', '摇滚', '爵士', '古典', '演员', '剧本'],
    en: ['music', 'film', 'cinema', 'theatre', 'jazz', 'opera', 'songs', 'art', 'directors'] },
  { tag: '生活', enTag: 'lifestyle', novel: false,
    zh: ['美食', '烹饪', '旅行', '园艺', '咖啡', '茶道', '手工', '家居', '收纳', '宠物'],
    en: ['cooking', 'travel', 'food', 'gardening', 'coffee', 'home', 'recipes', 'crafts'] },
  { tag: '健康', enTag: 'health', novel: false,
    zh: ['健康', '运动', '养生', '瑜伽', '饮食', '睡眠', '医学', '疾病', '营养', '跑步'],
    en: ['health', 'fitness', 'nutrition', 'sleep', 'medicine', 'running', 'yoga', 'body'] },
  { tag: '儿童', enTag: 'children', novel: false,
    zh: ['儿童', '绘本', '启蒙', '百科', '动物', '植物', '恐龙', '太空', '地球', '童话', '游戏', '成长'],
    en: ['children', 'kids', 'animals', 'dinosaurs', 'space', 'earth', 'stories', 'picture'] },
  { tag: '教育', enTag: 'education', novel: false,
    zh: ['教育', '学习', '考试', '英语', '语文', '阅读', '写作', '家庭', '父母', '学校', '教师'],
    en: ['learning', 'reading', 'writing', 'school', 'teaching', 'parents', 'education', 'english'] },
  { tag: '政治法律', enTag: 'politics', novel: false,
    zh: ['政治', '法律', '国家', '权力', '民主', '宪法', '制度', '治理', '国际关系', '社会'],
    en: ['politics', 'law', 'power', 'democracy', 'state', 'government', 'constitution', 'rights'] },
];

/** Words any intro or contents may use, across subjects: the catalogue's most common words. */
const COMMON_ZH = ['中国', '世界', '社会', '生活', '时代', '发展', '研究', '经典', '问题', '方法', '知识', '文化', '人类', '现代', '历史', '人生', '未来', '理解', '读者', '作者', '重要', '影响', '价值', '基础', '实践', '经验'];
const COMMON_EN = ['world', 'life', 'new', 'modern', 'story', 'guide', 'introduction', 'practice', 'classic', 'essential', 'complete', 'people', 'time', 'ideas', 'future', 'understanding'];

const ZH_TITLE_TAILS = ['导论', '简史', '概论', '原理', '入门', '实战', '精要', '通识', '十讲', '的故事', '之美', '笔记', '手册', '指南', '研究', '史话', '漫谈', '与现实', '的秘密', '新论', '讲义', '全书'];
const ZH_TITLE_HEADS = ['深入理解', '图解', '现代', '经典', '实用', '给孩子的', '走进', '重新认识', '一本书读懂', '大众', '极简', '中国', '世界', '西方', '东方'];
const ZH_NOVEL_ADJ = ['漫长的', '最后的', '遥远的', '沉默的', '燃烧的', '看不见的', '白色的', '第七个', '消失的', '温柔的', '无尽的', '寂静的'];
const EN_ADJ = ['Quiet', 'Last', 'Distant', 'Silent', 'Burning', 'Invisible', 'White', 'Seventh', 'Lost', 'Gentle', 'Endless', 'Hidden', 'Broken', 'Golden'];
const EN_TITLE_FORMS = ['The {A} {N}', 'A Short History of {T}', 'Introduction to {T}', '{T} and {T2}', 'Learning {T}', 'The Art of {T}', '{T}: A Very Short Introduction', 'Understanding {T}', 'The {N} of {T}'];

const ZH_SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '赵', '黄', '周', '吴', '徐', '孙', '胡', '朱', '高', '林', '何', '郭', '马', '罗', '梁', '宋', '郑', '谢', '韩', '唐', '冯', '于', '董', '萧', '程', '曹', '袁', '邓', '许', '傅', '沈', '曾', '彭', '吕', '苏', '卢', '蒋', '蔡', '贾', '丁', '魏', '薛', '叶', '阎', '余', '潘', '杜', '戴', '夏', '钟', '汪', '田', '任', '姜', '范', '方', '石', '姚', '谭', '廖', '邹', '熊', '金', '陆', '郝', '孔', '白', '崔', '康', '毛', '邱', '秦', '江', '史', '顾', '侯', '邵', '孟', '龙', '万', '段', '欧阳', '司马', '上官', '诸葛', '慕容'];
const ZH_GIVEN = [...'伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华玉兰萍红娟建国文辉力斌宇浩凯鹏飞鑫波宁琳雪梅慧颖佳欣怡晨阳峰雷坤志海东亮晓燕倩婷云帆睿哲轩瑞博思远嘉诚子涵梓铭昊然若溪清逸书言语诗韵墨尘风之一'];
const EN_FIRST = ['James', 'Mary', 'John', 'Patricia', 'Robert', 'Jennifer', 'Michael', 'Linda', 'William', 'Elizabeth', 'David', 'Barbara', 'Richard', 'Susan', 'Joseph', 'Jessica', 'Thomas', 'Sarah', 'Charles', 'Karen', 'Daniel', 'Nancy', 'Matthew', 'Lisa', 'Anthony', 'Margaret', 'Mark', 'Sandra', 'Paul', 'Ashley', 'Steven', 'Emily', 'Andrew', 'Donna', 'Kenneth', 'Michelle', 'George', 'Carol', 'Edward', 'Amanda', 'Brian', 'Melissa', 'Ronald', 'Deborah', 'Kevin', 'Stephanie', 'Jason', 'Rebecca', 'Jeffrey', 'Laura', 'Ian', 'Helen', 'Oliver', 'Alice', 'Henry', 'Clara'];
/** Surnames and place names are built from syllables: a long tail, most of them rare. */
const EN_SYL_A = ['Al', 'Bar', 'Cal', 'Dun', 'El', 'Fair', 'Gar', 'Hal', 'Ash', 'Kel', 'Lan', 'Mar', 'Nor', 'Os', 'Pem', 'Quen', 'Rad', 'Stan', 'Thorn', 'Ul', 'Ver', 'Wal', 'Yar', 'Brook', 'Craw', 'Dray', 'Ever', 'Frost', 'Glen', 'Holl'];
const EN_SYL_B = ['bridge', 'ford', 'ton', 'wick', 'more', 'field', 'worth', 'by', 'ley', 'stead', 'wood', 'hurst', 'combe', 'dale', 'mere', 'shaw', 'well', 'gate', 'holm', 'thorpe'];
const EN_SYL_MID = ['', '', '', 'en', 'in', 'er', 'ow', 'an'];
const ZH_PLACE_A = [...'青白黑红金银石松柳桃梅竹云雨风霜龙凤鹤燕南北东西清安长平宁'];
const ZH_PLACE_B = [...'山水河湖溪江岭峰岛湾城镇村庄桥港谷原'];

const PUBLISHERS_ZH = ['人民文学出版社', '商务印书馆', '中华书局', '机械工业出版社', '电子工业出版社', '人民邮电出版社', '清华大学出版社', '北京大学出版社', '生活·读书·新知三联书店', '上海译文出版社', '译林出版社', '中信出版社', '科学出版社', '高等教育出版社', '作家出版社', '浙江人民出版社', '广西师范大学出版社', '湖南文艺出版社', '接力出版社', '新星出版社'];
const PUBLISHERS_EN = ["O'Reilly Media", 'Penguin Books', 'Oxford University Press', 'Cambridge University Press', 'Springer', 'Vintage', 'HarperCollins', 'MIT Press', 'Random House', 'Wiley', 'Macmillan', 'Princeton University Press', 'Addison-Wesley', 'Faber & Faber'];

const CN_NUM = ['一', '二', '三', '四', '五', '六', '七', '八', '九', '十', '十一', '十二', '十三', '十四', '十五', '十六', '十七', '十八', '十九', '二十'];

export interface CatalogueBook {
  book_id: string;
  title: string;
  author: string;
  publisher: string;
  translator: string | null;
  pub_year: string;
  pages: number;
  price: number;
  isbn: string;
  author_intro: string;
  book_intro: string;
  content: string;
  tags: string[];
  /** Words of this book only a few books share (its author's name, a place in it). */
  rare: string[];
}

function zhName(r: SeededRandom): string {
  return r.skewed(ZH_SURNAMES) + r.pick(ZH_GIVEN) + (r.chance(0.7) ? r.pick(ZH_GIVEN) : '');
}
function enSurname(r: SeededRandom): string {
  return r.pick(EN_SYL_A) + r.pick(EN_SYL_MID) + r.pick(EN_SYL_B);
}
function zhPlace(r: SeededRandom): string {
  return r.pick(ZH_PLACE_A) + r.pick(ZH_PLACE_A) + r.pick(ZH_PLACE_B);
}

/**
 * A book is about a few words of its subject (its focus), as real books are about one corner
 * of a field: most of its subject words come from the focus, some from the whole subject.
 */
interface Focus extends Subject {
  zhAll: string[];
  enAll: string[];
}

function focusOn(r: SeededRandom, s: Subject): Focus {
  const sample = (words: string[]) => {
    const picked = new Set<number>();
    while (picked.size < Math.min(6, words.length)) picked.add(Math.floor(words.length * r.next() ** 1.3));
    return [...picked].sort((a, b) => a - b).map((i) => words[i]!);
  };
  return { ...s, zh: sample(s.zh), en: sample(s.en), zhAll: s.zh, enAll: s.en };
}

function zhWords(r: SeededRandom, s: Focus, n: number): string[] {
  return Array.from({ length: n }, () =>
    r.chance(0.08) ? r.skewed(COMMON_ZH, 1.4) : r.chance(0.15) ? r.skewed(s.zhAll) : r.skewed(s.zh, 1.5),
  );
}
function enWords(r: SeededRandom, s: Focus, n: number): string[] {
  return Array.from({ length: n }, () =>
    r.chance(0.1) ? r.skewed(COMMON_EN, 1.4) : r.chance(0.15) ? r.skewed(s.enAll) : r.skewed(s.en, 1.5),
  );
}
const cap = (w: string) => w.charAt(0).toUpperCase() + w.slice(1);

function zhBook(r: SeededRandom, s: Focus, id: string): CatalogueBook {
  const [w1, w2, w3] = zhWords(r, s, 3) as [string, string, string];
  const novel = s.novel;
  const title = novel
    ? r.pick([`${r.pick(ZH_NOVEL_ADJ)}${w1}`, `${w1}与${w2}`, `${zhPlace(r)}${w1}`, `${w1}的${w2}`])
    : r.pick([`${w1}${r.pick(ZH_TITLE_TAILS)}`, `${r.pick(ZH_TITLE_HEADS)}${w1}`, `${w1}与${w2}`, `${r.pick(ZH_TITLE_HEADS)}${w1}${r.pick(ZH_TITLE_TAILS)}`]);
  const translated = r.chance(0.2);
  const author = translated ? `[${r.pick(['美', '英', '法', '德', '日'])}] ${r.pick(EN_FIRST)}·${enSurname(r)}` : zhName(r);
  const place = zhPlace(r);
  const sentences = [
    `本书是${r.pick(['一部', '一本', '一套'])}关于${w1}和${w2}的${r.pick(['经典之作', '入门读物', '重要著作', '通俗读物', '长篇小说'])}。`,
    `作者以${r.pick(['细腻', '生动', '严谨', '幽默', '平实'])}的笔触，讲述了${r.skewed(COMMON_ZH, 1.4)}${w3}的${r.pick(['来龙去脉', '前世今生', '基本原理', '故事', '变化'])}。`,
    `全书从${zhWords(r, s, 1)[0]}出发，探讨${zhWords(r, s, 1)[0]}、${zhWords(r, s, 1)[0]}与${r.skewed(COMMON_ZH, 1.4)}之间的关系。`,
    novel ? `故事发生在${place}，${r.pick(['一个少年', '一位母亲', '两个朋友', '一家人'])}在${w2}中寻找${w3}。` : `书中收录了作者在${place}多年${r.pick(['研究', '实践', '教学', '游历'])}的${r.pick(['心得', '笔记', '成果'])}。`,
    `适合对${s.tag}${r.pick(['感兴趣的', '有志于', '想要入门的'])}读者阅读。`,
  ];
  const bookIntro = sentences.slice(0, r.int(3, 5)).join('');
  const authorIntro = `${author.replace(/^\[.\] /, '')}，${r.pick(['作家', '学者', '教授', '记者', '工程师', '研究员'])}，${r.pick(['长期从事', '专注于', '致力于'])}${r.skewed(s.zh)}${r.pick(['研究', '写作', '教学'])}，著有${r.int(2, 12)}部作品。`;
  const chapters = r.int(8, 16);
  const content = Array.from({ length: chapters }, (_, i) => {
    const [a, b] = zhWords(r, s, 2) as [string, string];
    const head = `第${CN_NUM[i] ?? i + 1}章 ${r.pick([`${a}与${b}`, `${a}的${b}`, `从${a}到${b}`, `${a}${r.pick(ZH_TITLE_TAILS)}`, `${a}：${b}的${r.skewed(COMMON_ZH, 1.4)}`])}`;
    const sections = Array.from({ length: r.int(0, 3) }, (_, j) => {
      const [c, d] = zhWords(r, s, 2) as [string, string];
      return `  第${CN_NUM[j]}节 ${r.pick([`${c}的${d}`, `${c}与${d}`, `${c}${r.pick(ZH_TITLE_TAILS)}`, `什么是${c}`, `${c}为什么重要`])}`;
    });
    return [head, ...sections].join('\n');
  }).join('\n');
  const tags = [...new Set([s.tag, ...zhWords(r, s, r.int(1, 4)), r.pick(['经典', '畅销', '推荐', '新书', s.enTag])])];
  return {
    book_id: id, title, author,
    publisher: r.skewed(PUBLISHERS_ZH),
    translator: translated ? zhName(r) : null,
    pub_year: `${r.int(1980, 2025)}-${r.int(1, 12)}`,
    pages: r.int(96, 960),
    price: r.int(15, 160) * 100 + r.pick([0, 0, 50, 80, 90]),
    isbn: `978${String(r.int(0, 9_999_999)).padStart(7, '0')}${r.int(100, 999)}`,
    author_intro: authorIntro, book_intro: bookIntro, content, tags,
    rare: translated ? [place] : [author, place],
  };
}

function enBook(r: SeededRandom, s: Focus, id: string): CatalogueBook {
  const [w1, w2, w3] = enWords(r, s, 3) as [string, string, string];
  const title = r.pick(EN_TITLE_FORMS).replace('{A}', r.pick(EN_ADJ)).replace('{N}', cap(w1)).replace('{T2}', cap(w3)).replace('{T}', cap(w2));
  const surname = enSurname(r);
  const author = `${r.pick(EN_FIRST)} ${surname}`;
  const place = enSurname(r);
  const bookIntro = [
    `This ${r.pick(['classic', 'acclaimed', 'accessible', 'definitive', 'bestselling'])} book explores ${w1} and ${w2} in the ${r.skewed(COMMON_EN, 1.4)} world.`,
    `${surname} draws on years of ${r.pick(['research', 'practice', 'teaching', 'travel'])} in ${place} to explain how ${w3} shapes ${r.skewed(COMMON_EN, 1.4)} ${enWords(r, s, 1)[0]}.`,
    `Written for ${r.pick(['students', 'general readers', 'practitioners', 'curious minds'])}, it is an essential ${r.pick(['guide', 'introduction', 'companion'])} to ${s.enTag}.`,
  ].join(' ');
  const authorIntro = `${author} is a ${r.pick(['writer', 'professor', 'journalist', 'engineer', 'researcher'])} who has written about ${r.skewed(s.en)} for ${r.int(5, 40)} years.`;
  const chapters = r.int(8, 16);
  const content = Array.from({ length: chapters }, (_, i) => {
    const [a, b] = enWords(r, s, 2) as [string, string];
    const head = `Chapter ${i + 1} ${r.pick([`${cap(a)} and ${cap(b)}`, `The ${cap(a)} of ${cap(b)}`, `From ${cap(a)} to ${cap(b)}`, `On ${cap(a)}`])}`;
    const sections = Array.from({ length: r.int(0, 3) }, (_, j) => {
      const [c, d] = enWords(r, s, 2) as [string, string];
      return `  ${i + 1}.${j + 1} ${r.pick([`${cap(c)} in ${cap(d)}`, `Why ${cap(c)} Matters`, `${cap(c)}, ${cap(d)} and the ${cap(r.skewed(COMMON_EN, 1.4))}`, `What Is ${cap(c)}?`])}`;
    });
    return [head, ...sections].join('\n');
  }).join('\n');
  const tags = [...new Set([s.enTag, ...enWords(r, s, r.int(1, 3)), r.pick([s.tag, '外文原版', 'classic', 'bestseller'])])];
  return {
    book_id: id, title, author,
    publisher: r.skewed(PUBLISHERS_EN),
    translator: null,
    pub_year: String(r.int(1950, 2025)),
    pages: r.int(120, 900),
    price: r.int(30, 400) * 100 + r.pick([0, 0, 50, 99]),
    isbn: `978${String(r.int(0, 9_999_999)).padStart(7, '0')}${r.int(100, 999)}`,
    author_intro: authorIntro, book_intro: bookIntro, content, tags,
    rare: [surname, place],
  };
}

/** Book number n of the catalogue of this seed: the same n and seed always give the same book. */
export function catalogueBook(seed: number, n: number): CatalogueBook {
  const r = new SeededRandom(seed * 1_000_003 + n);
  const subject = focusOn(r, r.pick(SUBJECTS));
  const id = String(1_000_000 + n);
  return r.chance(0.7) ? zhBook(r, subject, id) : enBook(r, subject, id);
}

/** The two-character Chinese words the benchmark uses as "common" keywords. */
export const COMMON_ZH_KEYWORDS = ['历史', '中国', '世界', '生活', '文化', '社会', '时代', '人生'];

/** Two- and three-word keywords about a subject (all words must match). */
export const MULTI_WORD_KEYWORDS = [
  '量子 力学', '机器学习 python', '数据库 系统', '城市 记忆', '经济 增长', '儿童 恐龙', '哲学 自由', '宇宙 黑洞 物理',
  'quantum physics', 'python programming', 'history empire', 'art music', 'distributed systems design', '编程 算法',
];

/** Two of the most common words together: as many matches as a common word. */
export const COMMON_PAIR_KEYWORDS = ['中国 历史', '世界 文化', '社会 生活', '中国 时代', '人生 世界', '历史 文化'];
