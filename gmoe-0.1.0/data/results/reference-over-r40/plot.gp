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
set xrange [9120.1083935590959:109647.81961431851]
set yrange [0.02093074294641261:1.2450988618718917]
set xlabel 'sample size N'
set ylabel 'D2 loss'
set title "softmax, k = 3 fitted, k* = 2 true, grid design, near-truth start" noenhanced
set key outside right top vertical box spacing 1.3 samplen 2
set grid xtics ytics lc rgb '#dddddd'
set xtics ('10000' 10000, '20000' 20000, '50000' 50000, '100000' 100000)
set ytics ('0.05' 0.050000000000000003, '0.1' 0.10000000000000001, '0.2' 0.20000000000000001, '0.5' 0.5, '1' 1)
bottom = 0.02093074294641261
lo(v) = v > bottom ? v : bottom
theory(x) = 27.947951083793281 * sqrt(log(x) / x)
mean_fit(x) = exp(0.99490732885049149) * x**-0.17162561635123563
median_fit(x) = exp(7.9207117559985303) * x**-0.91076450901565476
plot 'summary.csv' skip 1 using ($1/1.02):3:(lo($6)):7 with yerrorbars pt 7 ps 0.9 lc rgb '#1f4e9c' title 'mean of 40 replicates, 95% CI', \
     'summary.csv' skip 1 using ($1*1.02):5:8:9 with yerrorbars pt 5 ps 0.8 lc rgb '#2e8b57' title 'median, 95% CI', \
     mean_fit(x) with lines lw 2 lc rgb '#1f4e9c' title sprintf('mean: slope %.2f [%.2f, %.2f]', -0.17162561635123563, -0.31069437720749737, -0.032556855494973863), \
     median_fit(x) with lines lw 2 dt 4 lc rgb '#2e8b57' title sprintf('median: slope %.2f [%.2f, %.2f]', -0.91076450901565476, -1.5402103214628879, -0.28131869656842168), \
     theory(x) with lines lw 2 dt 2 lc rgb '#c0392b' title "theory: c (log N / N)^{1/2}"
