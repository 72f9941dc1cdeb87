# mixrate plot: gnuplot plot.gp (in this directory)
if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {
    set terminal pngcairo size 1000,560 enhanced font 'sans,11'; set output 'plot.png'
} else { if (strstrt(GPVAL_TERMINALS, ' png ') > 0) {
    set terminal png size 1000,560; set output 'plot.png'
} else {
    set terminal svg size 1000,560; set output 'plot.svg'
} }
set datafile separator ','
set logscale xy
set xrange [9460.5764672559599:42280.72162245521]
set yrange [0.028475300228994364:1.2235925838655903]
set xlabel 'sample size N'
set ylabel 'D2 loss'
set title "softmax, k = 3 fitted, k* = 2 true, grid design, near-truth start" noenhanced
set key outside right top vertical box spacing 1.3 samplen 2
set grid xtics ytics lc rgb '#dddddd'
set xtics ('10000' 10000, '20000' 20000)
set ytics ('0.05' 0.050000000000000003, '0.1' 0.10000000000000001, '0.2' 0.20000000000000001, '0.5' 0.5, '1' 1)
bottom = 0.028475300228994364
lo(v) = v > bottom ? v : bottom
theory(x) = 22.010245867677209 * sqrt(log(x) / x)
mean_fit(x) = exp(3.3176842995322362) * x**-0.40757794641924822
median_fit(x) = exp(16.539764927408214) * x**-1.8031680385167583
plot 'summary.csv' skip 1 using ($1/1.02):3:(lo($6)):7 with yerrorbars pt 7 ps 0.9 lc rgb '#1f4e9c' title 'mean of 40 replicates, 95% CI', \
     'summary.csv' skip 1 using ($1*1.02):5:8:9 with yerrorbars pt 5 ps 0.8 lc rgb '#2e8b57' title 'median, 95% CI', \
     mean_fit(x) with lines lw 2 lc rgb '#1f4e9c' title sprintf('mean: slope %.2f [%.2f, %.2f]', -0.40757794641924822, -0.9244265694794056, 0.10927067664090923), \
     median_fit(x) with lines lw 2 dt 4 lc rgb '#2e8b57' title sprintf('median: slope %.2f [%.2f, %.2f]', -1.8031680385167583, -2.7019978139275436, -0.90433826310597287), \
     theory(x) with lines lw 2 dt 2 lc rgb '#c0392b' title "theory: c (log N / N)^{1/2}"
